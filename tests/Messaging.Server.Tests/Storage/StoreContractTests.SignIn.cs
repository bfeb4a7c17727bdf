using Messaging.Server.Features.Accounts;

namespace Messaging.Server.Tests.Storage;

public abstract partial class StoreContractTests
{
    private async Task<Account> CreatedAccountAsync(string login)
    {
        var account = NewAccount(login);
        Assert.True(await Stores.Accounts.TryCreateAsync(account, Ct));
        return account;
    }

    [Fact]
    public async Task SignInState_NewOrUnknownAccount_IsNone()
    {
        var alice = await CreatedAccountAsync("alice");

        Assert.Equal(SignInState.None, await Stores.Accounts.GetSignInStateAsync(alice.Id, Ct));
        Assert.Equal(SignInState.None, await Stores.Accounts.GetSignInStateAsync(Guid.NewGuid(), Ct));
    }

    [Fact]
    public async Task SignInRecordFailure_Repeated_CountsConsecutiveAndUnseenAndKeepsLastTime()
    {
        var alice = await CreatedAccountAsync("alice");
        var bob = await CreatedAccountAsync("bob");

        var first = await Stores.Accounts.RecordSignInFailureAsync(alice.Id, T0.AddMinutes(1), Ct);
        var second = await Stores.Accounts.RecordSignInFailureAsync(alice.Id, T0.AddMinutes(2), Ct);

        Assert.Equal(new SignInState(1, null, 1, T0.AddMinutes(1)), first);
        Assert.Equal(new SignInState(2, null, 2, T0.AddMinutes(2)), second);
        Assert.Equal(second, await Stores.Accounts.GetSignInStateAsync(alice.Id, Ct));
        Assert.Equal(TimeSpan.Zero, second.LastFailureAt!.Value.Offset);
        Assert.Equal(SignInState.None, await Stores.Accounts.GetSignInStateAsync(bob.Id, Ct));
        AssertSameAccount(alice, await Stores.Accounts.FindAsync(alice.Id, Ct));
    }

    [Fact]
    public async Task SignInRecordFailure_TwentyInParallel_CountsEveryOne()
    {
        var alice = await CreatedAccountAsync("alice");

        var states = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            Task.Run(() => Stores.Accounts.RecordSignInFailureAsync(alice.Id, T0.AddSeconds(i), Ct), Ct)));

        Assert.Equal(Enumerable.Range(1, 20), states.Select(s => s.ConsecutiveFailures).Order());
        var final = await Stores.Accounts.GetSignInStateAsync(alice.Id, Ct);
        Assert.Equal(20, final.ConsecutiveFailures);
        Assert.Equal(20, final.UnseenFailures);
    }

    [Fact]
    public async Task SignInRecordFailure_UnknownAccount_ReturnsNoneAndCreatesNothing()
    {
        var unknown = Guid.NewGuid();

        Assert.Equal(SignInState.None, await Stores.Accounts.RecordSignInFailureAsync(unknown, T0, Ct));

        Assert.Equal(SignInState.None, await Stores.Accounts.GetSignInStateAsync(unknown, Ct));
        Assert.Null(await Stores.Accounts.FindAsync(unknown, Ct));
    }

    [Fact]
    public async Task SignInSetLockedUntil_SetThenCleared_KeepsTheFailures()
    {
        var alice = await CreatedAccountAsync("alice");
        await Stores.Accounts.RecordSignInFailureAsync(alice.Id, T0, Ct);

        await Stores.Accounts.SetLockedUntilAsync(alice.Id, T0.AddMinutes(15), Ct);
        var locked = await Stores.Accounts.GetSignInStateAsync(alice.Id, Ct);
        var failedWhileLocked = await Stores.Accounts.RecordSignInFailureAsync(alice.Id, T0.AddMinutes(1), Ct);
        await Stores.Accounts.SetLockedUntilAsync(alice.Id, null, Ct);

        Assert.Equal(new SignInState(1, T0.AddMinutes(15), 1, T0), locked);
        Assert.Equal(TimeSpan.Zero, locked.LockedUntil!.Value.Offset);
        Assert.Equal(new SignInState(2, T0.AddMinutes(15), 2, T0.AddMinutes(1)), failedWhileLocked);
        Assert.Equal(new SignInState(2, null, 2, T0.AddMinutes(1)), await Stores.Accounts.GetSignInStateAsync(alice.Id, Ct));
    }

    [Fact]
    public async Task SignInRecordSuccess_AfterFailures_ReturnsStateBeforeAndResets()
    {
        var alice = await CreatedAccountAsync("alice");
        await Stores.Accounts.RecordSignInFailureAsync(alice.Id, T0, Ct);
        await Stores.Accounts.RecordSignInFailureAsync(alice.Id, T0.AddMinutes(1), Ct);
        await Stores.Accounts.RecordSignInFailureAsync(alice.Id, T0.AddMinutes(2), Ct);
        await Stores.Accounts.SetLockedUntilAsync(alice.Id, T0.AddMinutes(30), Ct);

        var before = await Stores.Accounts.RecordSignInSuccessAsync(alice.Id, Ct);

        Assert.Equal(new SignInState(3, T0.AddMinutes(30), 3, T0.AddMinutes(2)), before);
        Assert.Equal(SignInState.None, await Stores.Accounts.GetSignInStateAsync(alice.Id, Ct));
        Assert.Equal(SignInState.None, await Stores.Accounts.RecordSignInSuccessAsync(alice.Id, Ct));
        Assert.Equal(new SignInState(1, null, 1, T0.AddHours(1)), await Stores.Accounts.RecordSignInFailureAsync(alice.Id, T0.AddHours(1), Ct));
        AssertSameAccount(alice, await Stores.Accounts.FindAsync(alice.Id, Ct));
    }

    [Fact]
    public async Task SignInRecordSuccess_UnknownAccount_ReturnsNone()
    {
        await CreatedAccountAsync("alice");

        Assert.Equal(SignInState.None, await Stores.Accounts.RecordSignInSuccessAsync(Guid.NewGuid(), Ct));
    }
}
