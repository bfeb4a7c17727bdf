using Messaging.Server.Features.Accounts.SecondFactor;

namespace Messaging.Server.Tests.Storage;

public abstract partial class StoreContractTests
{
    private const string NewDevicePurpose = "new-device";
    private const int MaxCodeAttempts = 3;

    private static readonly DateTimeOffset CodeExpiry = T0.AddMinutes(10);

    private async Task<Guid> SavedCodeAsync(string code, Guid? accountId = null, string purpose = NewDevicePurpose)
    {
        var account = accountId ?? Guid.NewGuid();
        await Stores.SecondFactors.SaveCodeAsync(new OneTimeCode(account, purpose, Bytes("code:" + code), CodeExpiry), Ct);
        return account;
    }

    private Task<bool> TryCodeAsync(Guid accountId, string code, DateTimeOffset? at = null, string purpose = NewDevicePurpose) =>
        Stores.SecondFactors.TryUseCodeAsync(accountId, purpose, Bytes("code:" + code), at ?? T0, MaxCodeAttempts, Ct);

    [Fact]
    public async Task CodeTryUse_RightCode_PassesOnceThenIsGone()
    {
        var account = await SavedCodeAsync("123456");

        Assert.True(await TryCodeAsync(account, "123456"));
        Assert.False(await TryCodeAsync(account, "123456"));
    }

    [Fact]
    public async Task CodeTryUse_UnknownAccountOrPurpose_IsFalse()
    {
        var account = await SavedCodeAsync("123456");

        Assert.False(await TryCodeAsync(Guid.NewGuid(), "123456"));
        Assert.False(await TryCodeAsync(account, "123456", purpose: "password-reset"));
        Assert.True(await TryCodeAsync(account, "123456"));
    }

    [Fact]
    public async Task CodeTryUse_WrongAttemptsBelowTheLimit_RightCodeStillPasses()
    {
        var account = await SavedCodeAsync("123456");

        Assert.False(await TryCodeAsync(account, "000000"));
        Assert.False(await TryCodeAsync(account, "111111"));

        Assert.True(await TryCodeAsync(account, "123456"));
    }

    [Fact]
    public async Task CodeTryUse_MaxWrongAttempts_DeletesTheCode()
    {
        var account = await SavedCodeAsync("123456");

        for (var i = 0; i < MaxCodeAttempts; i++)
        {
            Assert.False(await TryCodeAsync(account, $"00000{i}"));
        }

        Assert.False(await TryCodeAsync(account, "123456"));
    }

    [Fact]
    public async Task CodeSave_NewCode_ReplacesTheOldAndResetsAttempts()
    {
        var account = await SavedCodeAsync("111111");
        Assert.False(await TryCodeAsync(account, "000000"));
        Assert.False(await TryCodeAsync(account, "000001"));

        await SavedCodeAsync("222222", account);

        Assert.False(await TryCodeAsync(account, "111111"));
        Assert.False(await TryCodeAsync(account, "000002"));
        Assert.True(await TryCodeAsync(account, "222222"));
    }

    [Fact]
    public async Task CodeTryUse_AtOrAfterExpiry_IsFalseAndJustBeforeIsTrue()
    {
        var atExpiry = await SavedCodeAsync("123456");
        var afterExpiry = await SavedCodeAsync("123456");
        var justBefore = await SavedCodeAsync("123456");

        Assert.False(await TryCodeAsync(atExpiry, "123456", CodeExpiry));
        Assert.False(await TryCodeAsync(afterExpiry, "123456", CodeExpiry.AddHours(1)));
        Assert.True(await TryCodeAsync(justBefore, "123456", CodeExpiry.AddMilliseconds(-1)));
    }

    [Fact]
    public async Task CodeTryUse_PurposesAndAccounts_AreKeptApart()
    {
        var account = await SavedCodeAsync("111111");
        await SavedCodeAsync("222222", account, "password-reset");
        var other = await SavedCodeAsync("111111");

        Assert.False(await TryCodeAsync(account, "222222"));
        Assert.True(await TryCodeAsync(account, "222222", purpose: "password-reset"));
        Assert.True(await TryCodeAsync(account, "111111"));
        Assert.True(await TryCodeAsync(other, "111111"));
    }

    [Fact]
    public async Task CodeTryUse_TwentyInParallelWithTheRightCode_ExactlyOneWins()
    {
        var account = await SavedCodeAsync("123456");

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            Task.Run(() => TryCodeAsync(account, "123456"), Ct)));

        Assert.Single(results, won => won);
    }

    [Fact]
    public async Task CodeTryUse_TwentyWrongGuessesInParallel_AllCountedAndTheCodeIsGone()
    {
        var account = await SavedCodeAsync("123456");

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            Task.Run(() => TryCodeAsync(account, $"wrong-{i}"), Ct)));

        Assert.DoesNotContain(true, results);
        Assert.False(await TryCodeAsync(account, "123456"));
    }
}
