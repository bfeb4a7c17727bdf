using Messaging.Server.Features.Accounts.Sessions;

namespace Messaging.Server.Tests.Storage;

public abstract partial class StoreContractTests
{
    private async Task<SessionFamily> CreatedFamilyAsync(string firstToken, Guid? accountId = null, Guid? deviceId = null)
    {
        var family = new SessionFamily(Guid.NewGuid(), accountId ?? Guid.NewGuid(), deviceId ?? Guid.NewGuid(), T0, T0, null);
        await Stores.Sessions.CreateAsync(family, Bytes(firstToken), Ct);
        return family;
    }

    private Task<RotationOutcome> RotateAsync(string presented, string next, DateTimeOffset at) =>
        Stores.Sessions.RotateAsync(Bytes(presented), Bytes(next), at, Ct);

    [Fact]
    public async Task SessionCreate_NewFamily_FindReturnsItAndUnknownReturnsNull()
    {
        var family = await CreatedFamilyAsync("t1");

        var found = await Stores.Sessions.FindAsync(family.Id, Ct);

        Assert.Equal(family, found);
        Assert.False(found!.IsRevoked);
        Assert.Equal(TimeSpan.Zero, found.LastUsedAt.Offset);
        Assert.Null(await Stores.Sessions.FindAsync(Guid.NewGuid(), Ct));
    }

    [Fact]
    public async Task SessionRotate_CurrentTokens_RotateInTurnAndUpdateLastUse()
    {
        var family = await CreatedFamilyAsync("t1");

        var first = await RotateAsync("t1", "t2", T0.AddMinutes(10));
        var second = await RotateAsync("t2", "t3", T0.AddMinutes(20));

        Assert.Equal(new RotationOutcome.Rotated(family with { LastUsedAt = T0.AddMinutes(10) }), first);
        Assert.Equal(new RotationOutcome.Rotated(family with { LastUsedAt = T0.AddMinutes(20) }), second);
        Assert.Equal(family with { LastUsedAt = T0.AddMinutes(20) }, await Stores.Sessions.FindAsync(family.Id, Ct));
    }

    [Fact]
    public async Task SessionRotate_UnknownToken_IsUnknownAndChangesNothing()
    {
        var family = await CreatedFamilyAsync("t1");

        Assert.IsType<RotationOutcome.Unknown>(await RotateAsync("nope", "t2", T0.AddMinutes(1)));

        Assert.Equal(family, await Stores.Sessions.FindAsync(family.Id, Ct));
        Assert.IsType<RotationOutcome.Unknown>(await RotateAsync("t2", "t3", T0.AddMinutes(2)));
    }

    [Fact]
    public async Task SessionRotate_UsedTokenAgain_RevokesFamilyAndLaterRotationsAreRevoked()
    {
        var family = await CreatedFamilyAsync("t1");
        var other = await CreatedFamilyAsync("o1", family.AccountId);
        await RotateAsync("t1", "t2", T0.AddMinutes(1));

        var replay = await RotateAsync("t1", "stolen", T0.AddMinutes(2));

        var revoked = family with { LastUsedAt = T0.AddMinutes(1), RevokedAt = T0.AddMinutes(2) };
        Assert.Equal(new RotationOutcome.Reused(revoked), replay);
        Assert.Equal(revoked, await Stores.Sessions.FindAsync(family.Id, Ct));
        Assert.Equal(new RotationOutcome.Revoked(revoked), await RotateAsync("t2", "t3", T0.AddMinutes(3)));
        Assert.Equal(new RotationOutcome.Revoked(revoked), await RotateAsync("t1", "t4", T0.AddMinutes(4)));
        Assert.IsType<RotationOutcome.Unknown>(await RotateAsync("stolen", "t5", T0.AddMinutes(5)));
        Assert.Equal(revoked, await Stores.Sessions.FindAsync(family.Id, Ct));
        Assert.IsType<RotationOutcome.Rotated>(await RotateAsync("o1", "o2", T0.AddMinutes(6)));
        Assert.False((await Stores.Sessions.FindAsync(other.Id, Ct))!.IsRevoked);
    }

    [Fact]
    public async Task SessionRotate_TwentyInParallelOnOneToken_ExactlyOneRotatesAndTheFamilyIsRevoked()
    {
        var family = await CreatedFamilyAsync("t1");

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            Task.Run(() => RotateAsync("t1", $"next-{i}", T0.AddMinutes(1)), Ct)));

        var rotated = Assert.Single(outcomes.OfType<RotationOutcome.Rotated>());
        Assert.Single(outcomes.OfType<RotationOutcome.Reused>());
        Assert.Equal(18, outcomes.OfType<RotationOutcome.Revoked>().Count());
        Assert.Equal(family.Id, rotated.Family.Id);
        Assert.True((await Stores.Sessions.FindAsync(family.Id, Ct))!.IsRevoked);
        var winner = Array.IndexOf(outcomes, rotated);
        Assert.IsType<RotationOutcome.Revoked>(await RotateAsync($"next-{winner}", "later", T0.AddMinutes(2)));
    }

    [Fact]
    public async Task SessionRevoke_LiveFamily_TrueOnceThenRotationIsRevokedAndChangesNothing()
    {
        var family = await CreatedFamilyAsync("t1");

        Assert.True(await Stores.Sessions.RevokeAsync(family.Id, T0.AddHours(1), Ct));
        Assert.False(await Stores.Sessions.RevokeAsync(family.Id, T0.AddHours(2), Ct));
        Assert.False(await Stores.Sessions.RevokeAsync(Guid.NewGuid(), T0.AddHours(2), Ct));

        var revoked = family with { RevokedAt = T0.AddHours(1) };
        Assert.Equal(revoked, await Stores.Sessions.FindAsync(family.Id, Ct));
        Assert.Equal(new RotationOutcome.Revoked(revoked), await RotateAsync("t1", "t2", T0.AddHours(3)));
        Assert.Equal(revoked, await Stores.Sessions.FindAsync(family.Id, Ct));
        Assert.IsType<RotationOutcome.Unknown>(await RotateAsync("t2", "t3", T0.AddHours(4)));
    }

    [Fact]
    public async Task SessionRevokeForDevice_SomeLive_CountsOnlyThoseOfTheDevice()
    {
        var (account, phone, laptop) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var first = await CreatedFamilyAsync("p1", account, phone);
        var second = await CreatedFamilyAsync("p2", account, phone);
        var gone = await CreatedFamilyAsync("p3", account, phone);
        var onLaptop = await CreatedFamilyAsync("l1", account, laptop);
        Assert.True(await Stores.Sessions.RevokeAsync(gone.Id, T0.AddMinutes(1), Ct));

        Assert.Equal(2, await Stores.Sessions.RevokeForDeviceAsync(phone, T0.AddMinutes(5), Ct));

        Assert.Equal(T0.AddMinutes(5), (await Stores.Sessions.FindAsync(first.Id, Ct))!.RevokedAt);
        Assert.Equal(T0.AddMinutes(5), (await Stores.Sessions.FindAsync(second.Id, Ct))!.RevokedAt);
        Assert.Equal(T0.AddMinutes(1), (await Stores.Sessions.FindAsync(gone.Id, Ct))!.RevokedAt);
        Assert.False((await Stores.Sessions.FindAsync(onLaptop.Id, Ct))!.IsRevoked);
        Assert.Equal(0, await Stores.Sessions.RevokeForDeviceAsync(phone, T0.AddMinutes(6), Ct));
        Assert.Equal(0, await Stores.Sessions.RevokeForDeviceAsync(Guid.NewGuid(), T0.AddMinutes(6), Ct));
    }

    [Fact]
    public async Task SessionRevokeForAccount_SeveralDevices_CountsEveryLiveFamilyOfTheAccount()
    {
        var (account, other) = (Guid.NewGuid(), Guid.NewGuid());
        var onPhone = await CreatedFamilyAsync("a1", account);
        var onLaptop = await CreatedFamilyAsync("a2", account);
        var gone = await CreatedFamilyAsync("a3", account);
        var notHis = await CreatedFamilyAsync("b1", other);
        Assert.True(await Stores.Sessions.RevokeAsync(gone.Id, T0.AddMinutes(1), Ct));

        Assert.Equal(2, await Stores.Sessions.RevokeForAccountAsync(account, T0.AddMinutes(5), Ct));

        Assert.True((await Stores.Sessions.FindAsync(onPhone.Id, Ct))!.IsRevoked);
        Assert.True((await Stores.Sessions.FindAsync(onLaptop.Id, Ct))!.IsRevoked);
        Assert.Equal(T0.AddMinutes(1), (await Stores.Sessions.FindAsync(gone.Id, Ct))!.RevokedAt);
        Assert.False((await Stores.Sessions.FindAsync(notHis.Id, Ct))!.IsRevoked);
        Assert.IsType<RotationOutcome.Revoked>(await RotateAsync("a1", "a1'", T0.AddMinutes(6)));
        Assert.Equal(0, await Stores.Sessions.RevokeForAccountAsync(account, T0.AddMinutes(7), Ct));
    }

    [Fact]
    public async Task SessionPurgeCreatedBefore_OldAndNewFamilies_DeletesTheOldWithTheirTokensOnly()
    {
        var old = await CreatedFamilyAsync("old-1");
        await RotateAsync("old-1", "old-2", T0.AddDays(20));
        var recent = new SessionFamily(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), T0.AddDays(31), T0.AddDays(31), null);
        await Stores.Sessions.CreateAsync(recent, Bytes("recent-1"), Ct);

        Assert.Equal(1, await Stores.Sessions.PurgeCreatedBeforeAsync(T0.AddDays(30), Ct));

        Assert.Null(await Stores.Sessions.FindAsync(old.Id, Ct));
        Assert.IsType<RotationOutcome.Unknown>(await RotateAsync("old-1", "old-3", T0.AddDays(32))); // used, and gone
        Assert.IsType<RotationOutcome.Unknown>(await RotateAsync("old-2", "old-3", T0.AddDays(32))); // current, and gone
        Assert.Equal(recent, await Stores.Sessions.FindAsync(recent.Id, Ct));
        Assert.IsType<RotationOutcome.Rotated>(await RotateAsync("recent-1", "recent-2", T0.AddDays(32)));
        Assert.Equal(0, await Stores.Sessions.PurgeCreatedBeforeAsync(T0.AddDays(30), Ct));
    }
}
