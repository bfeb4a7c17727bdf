using Messaging.Server.Features.Accounts.SecondFactor;

namespace Messaging.Server.Tests.Storage;

public abstract partial class StoreContractTests
{
    private static Passkey NewPasskey(string credential, Guid accountId, DateTimeOffset createdAt, uint signCount = 0) =>
        new(Bytes("credential:" + credential), accountId, Bytes("public:" + credential), signCount, accountId.ToByteArray(), createdAt);

    private static void AssertSamePasskey(Passkey expected, Passkey? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.CredentialId, actual.CredentialId);
        Assert.Equal(expected.AccountId, actual.AccountId);
        Assert.Equal(expected.PublicKey, actual.PublicKey);
        Assert.Equal(expected.SignCount, actual.SignCount);
        Assert.Equal(expected.UserHandle, actual.UserHandle);
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
    }

    private static void AssertSameTotp(TotpSecret expected, TotpSecret? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.AccountId, actual.AccountId);
        Assert.Equal(expected.SealedSecret, actual.SealedSecret);
        Assert.Equal(expected.Confirmed, actual.Confirmed);
        Assert.Equal(expected.LastUsedStep, actual.LastUsedStep);
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
    }

    [Fact]
    public async Task TotpSave_AgainForTheAccount_ReplacesTheSecretAndUnknownIsNull()
    {
        var account = Guid.NewGuid();
        await Stores.SecondFactors.SaveTotpAsync(new TotpSecret(account, Bytes("sealed:1"), true, 1000, T0), Ct);
        var restarted = new TotpSecret(account, Bytes("sealed:2"), false, 0, T0.AddDays(1));

        await Stores.SecondFactors.SaveTotpAsync(restarted, Ct);

        AssertSameTotp(restarted, await Stores.SecondFactors.FindTotpAsync(account, Ct));
        Assert.Null(await Stores.SecondFactors.FindTotpAsync(Guid.NewGuid(), Ct));
    }

    [Fact]
    public async Task TotpTryUseStep_OnlyLaterSteps_PassAndConfirm()
    {
        var account = Guid.NewGuid();
        var secret = new TotpSecret(account, Bytes("sealed"), false, 0, T0);
        await Stores.SecondFactors.SaveTotpAsync(secret, Ct);

        Assert.True(await Stores.SecondFactors.TryUseTotpStepAsync(account, 100, Ct));
        AssertSameTotp(secret with { Confirmed = true, LastUsedStep = 100 }, await Stores.SecondFactors.FindTotpAsync(account, Ct));
        Assert.False(await Stores.SecondFactors.TryUseTotpStepAsync(account, 100, Ct));
        Assert.False(await Stores.SecondFactors.TryUseTotpStepAsync(account, 99, Ct));
        Assert.True(await Stores.SecondFactors.TryUseTotpStepAsync(account, 102, Ct));
        Assert.False(await Stores.SecondFactors.TryUseTotpStepAsync(account, 101, Ct));
        Assert.False(await Stores.SecondFactors.TryUseTotpStepAsync(Guid.NewGuid(), 1000, Ct));

        AssertSameTotp(secret with { Confirmed = true, LastUsedStep = 102 }, await Stores.SecondFactors.FindTotpAsync(account, Ct));
    }

    [Fact]
    public async Task TotpTryUseStep_TwentyInParallelOnOneStep_ExactlyOneWins()
    {
        var account = Guid.NewGuid();
        await Stores.SecondFactors.SaveTotpAsync(new TotpSecret(account, Bytes("sealed"), true, 10, T0), Ct);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            Task.Run(() => Stores.SecondFactors.TryUseTotpStepAsync(account, 11, Ct), Ct)));

        Assert.Single(results, won => won);
        Assert.Equal(11, (await Stores.SecondFactors.FindTotpAsync(account, Ct))!.LastUsedStep);
    }

    [Fact]
    public async Task RecoveryCodeTryUse_EachCodeOnceAndOnlyForItsAccount()
    {
        var (account, other) = (Guid.NewGuid(), Guid.NewGuid());
        await Stores.SecondFactors.ReplaceRecoveryCodesAsync(account, [Bytes("r1"), Bytes("r2"), Bytes("r3")], Ct);
        await Stores.SecondFactors.ReplaceRecoveryCodesAsync(other, [Bytes("o1")], Ct);

        Assert.Equal(3, await Stores.SecondFactors.CountUnusedRecoveryCodesAsync(account, Ct));
        Assert.True(await Stores.SecondFactors.TryUseRecoveryCodeAsync(account, Bytes("r2"), T0, Ct));
        Assert.False(await Stores.SecondFactors.TryUseRecoveryCodeAsync(account, Bytes("r2"), T0.AddMinutes(1), Ct));
        Assert.False(await Stores.SecondFactors.TryUseRecoveryCodeAsync(account, Bytes("o1"), T0, Ct));
        Assert.False(await Stores.SecondFactors.TryUseRecoveryCodeAsync(account, Bytes("r9"), T0, Ct));
        Assert.False(await Stores.SecondFactors.TryUseRecoveryCodeAsync(Guid.NewGuid(), Bytes("r1"), T0, Ct));

        Assert.Equal(2, await Stores.SecondFactors.CountUnusedRecoveryCodesAsync(account, Ct));
        Assert.Equal(1, await Stores.SecondFactors.CountUnusedRecoveryCodesAsync(other, Ct));
        Assert.Equal(0, await Stores.SecondFactors.CountUnusedRecoveryCodesAsync(Guid.NewGuid(), Ct));
    }

    [Fact]
    public async Task RecoveryCodeReplace_AfterUse_OldCodesGoAndNewOnesCount()
    {
        var account = Guid.NewGuid();
        await Stores.SecondFactors.ReplaceRecoveryCodesAsync(account, [Bytes("r1"), Bytes("r2")], Ct);
        Assert.True(await Stores.SecondFactors.TryUseRecoveryCodeAsync(account, Bytes("r1"), T0, Ct));

        await Stores.SecondFactors.ReplaceRecoveryCodesAsync(account, [Bytes("n1"), Bytes("n2"), Bytes("n3"), Bytes("n3")], Ct);

        Assert.Equal(3, await Stores.SecondFactors.CountUnusedRecoveryCodesAsync(account, Ct));
        Assert.False(await Stores.SecondFactors.TryUseRecoveryCodeAsync(account, Bytes("r2"), T0, Ct));
        Assert.True(await Stores.SecondFactors.TryUseRecoveryCodeAsync(account, Bytes("n3"), T0, Ct));
        Assert.False(await Stores.SecondFactors.TryUseRecoveryCodeAsync(account, Bytes("n3"), T0, Ct));

        await Stores.SecondFactors.ReplaceRecoveryCodesAsync(account, [], Ct);
        Assert.Equal(0, await Stores.SecondFactors.CountUnusedRecoveryCodesAsync(account, Ct));
    }

    [Fact]
    public async Task RecoveryCodeTryUse_TwentyInParallelOnOneCode_ExactlyOneWins()
    {
        var account = Guid.NewGuid();
        await Stores.SecondFactors.ReplaceRecoveryCodesAsync(account, [Bytes("r1"), Bytes("r2")], Ct);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            Task.Run(() => Stores.SecondFactors.TryUseRecoveryCodeAsync(account, Bytes("r1"), T0, Ct), Ct)));

        Assert.Single(results, won => won);
        Assert.Equal(1, await Stores.SecondFactors.CountUnusedRecoveryCodesAsync(account, Ct));
    }

    [Fact]
    public async Task PasskeyAdd_SeveralAccounts_ListAndFindReturnTheAccountsOwn()
    {
        var (account, other) = (Guid.NewGuid(), Guid.NewGuid());
        var later = NewPasskey("phone", account, T0.AddDays(1), uint.MaxValue);
        var earlier = NewPasskey("laptop", account, T0);
        var notHis = NewPasskey("other", other, T0);
        foreach (var passkey in new[] { later, earlier, notHis })
        {
            await Stores.SecondFactors.AddPasskeyAsync(passkey, Ct);
        }

        var listed = await Stores.SecondFactors.ListPasskeysAsync(account, Ct);

        Assert.Equal([earlier.CredentialId, later.CredentialId], listed.Select(p => p.CredentialId));
        AssertSamePasskey(later, listed[1]);
        AssertSamePasskey(notHis, await Stores.SecondFactors.FindPasskeyAsync(notHis.CredentialId, Ct));
        Assert.Null(await Stores.SecondFactors.FindPasskeyAsync(Bytes("credential:none"), Ct));
        Assert.Empty(await Stores.SecondFactors.ListPasskeysAsync(Guid.NewGuid(), Ct));
    }

    [Fact]
    public async Task PasskeyAdd_DuplicateCredentialId_ThrowsAndKeepsFirst()
    {
        var first = NewPasskey("phone", Guid.NewGuid(), T0);
        await Stores.SecondFactors.AddPasskeyAsync(first, Ct);

        await Assert.ThrowsAnyAsync<Exception>(() => Stores.SecondFactors.AddPasskeyAsync(NewPasskey("phone", Guid.NewGuid(), T0.AddDays(1)), Ct));

        AssertSamePasskey(first, await Stores.SecondFactors.FindPasskeyAsync(first.CredentialId, Ct));
    }

    [Fact]
    public async Task PasskeyUpdateCounter_KnownCredential_StoresItAndUnknownIsFalse()
    {
        var passkey = NewPasskey("phone", Guid.NewGuid(), T0, 5);
        await Stores.SecondFactors.AddPasskeyAsync(passkey, Ct);

        Assert.True(await Stores.SecondFactors.UpdatePasskeyCounterAsync(passkey.CredentialId, 42, Ct));
        Assert.True(await Stores.SecondFactors.UpdatePasskeyCounterAsync(passkey.CredentialId, 42, Ct));
        Assert.False(await Stores.SecondFactors.UpdatePasskeyCounterAsync(Bytes("credential:none"), 42, Ct));

        AssertSamePasskey(passkey with { SignCount = 42 }, await Stores.SecondFactors.FindPasskeyAsync(passkey.CredentialId, Ct));
    }
}
