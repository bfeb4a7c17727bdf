using Messaging.Contracts;
using Messaging.Server.Features.Practices;

namespace Messaging.Server.Tests.Storage;

public abstract partial class StoreContractTests
{
    private static readonly TimeSpan InvitationLifetime = TimeSpan.FromDays(7);

    private async Task<Invitation> CreatedInvitationAsync(string token, Guid? invitedBy = null)
    {
        var invitation = new Invitation(Guid.NewGuid(), Bytes("token:" + token), Guid.NewGuid(), Roles.Patient, invitedBy, T0, T0 + InvitationLifetime);
        await Stores.Invitations.CreateAsync(invitation, Ct);
        return invitation;
    }

    private static void AssertSameInvitation(Invitation expected, Invitation? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.TokenHash, actual.TokenHash);
        Assert.Equal(expected.PracticeId, actual.PracticeId);
        Assert.Equal(expected.Role, actual.Role);
        Assert.Equal(expected.InvitedBy, actual.InvitedBy);
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
        Assert.Equal(expected.ExpiresAt, actual.ExpiresAt);
        Assert.Equal(expected.Profile, actual.Profile);
        Assert.Equal(expected.Language, actual.Language);
        Assert.Equal(expected.UsedAt, actual.UsedAt);
        Assert.Equal(expected.UsedBy, actual.UsedBy);
        Assert.Equal(TimeSpan.Zero, actual.ExpiresAt.Offset);
    }

    [Fact]
    public async Task InvitationCreate_EveryDetail_FindByTokenHashReturnsIt()
    {
        var full = new Invitation(Guid.NewGuid(), Bytes("token:full"), Guid.NewGuid(), Roles.Doctor, Guid.NewGuid(), T0, T0.AddDays(2))
        {
            Profile = [9, 8, 7, 0],
            Language = "en",
        };
        await Stores.Invitations.CreateAsync(full, Ct);
        var bare = await CreatedInvitationAsync("bare");

        AssertSameInvitation(full, await Stores.Invitations.FindByTokenHashAsync(Bytes("token:full"), Ct));
        var foundBare = await Stores.Invitations.FindByTokenHashAsync(Bytes("token:bare"), Ct);
        AssertSameInvitation(bare, foundBare);
        Assert.Null(foundBare!.InvitedBy);
        Assert.Null(foundBare.Profile);
        Assert.Equal("fr", foundBare.Language);
        Assert.Null(await Stores.Invitations.FindByTokenHashAsync(Bytes("token:other"), Ct));
    }

    [Fact]
    public async Task InvitationCreate_DuplicateTokenHash_ThrowsAndKeepsFirst()
    {
        var first = await CreatedInvitationAsync("same");

        await Assert.ThrowsAnyAsync<Exception>(() => Stores.Invitations.CreateAsync(first with { Id = Guid.NewGuid() }, Ct));

        AssertSameInvitation(first, await Stores.Invitations.FindByTokenHashAsync(first.TokenHash, Ct));
    }

    [Fact]
    public async Task InvitationTryConsume_Unused_MarksItUsedOnce()
    {
        var invitation = await CreatedInvitationAsync("once");
        var (patient, other) = (Guid.NewGuid(), Guid.NewGuid());

        Assert.True(await Stores.Invitations.TryConsumeAsync(invitation.Id, patient, T0.AddHours(1), Ct));
        Assert.False(await Stores.Invitations.TryConsumeAsync(invitation.Id, other, T0.AddHours(2), Ct));

        AssertSameInvitation(
            invitation with { UsedAt = T0.AddHours(1), UsedBy = patient },
            await Stores.Invitations.FindByTokenHashAsync(invitation.TokenHash, Ct));
    }

    [Fact]
    public async Task InvitationTryConsume_AtOrAfterExpiry_ReturnsFalseAndJustBeforeSucceeds()
    {
        var atExpiry = await CreatedInvitationAsync("at-expiry");
        var afterExpiry = await CreatedInvitationAsync("after-expiry");
        var justBefore = await CreatedInvitationAsync("just-before");

        Assert.False(await Stores.Invitations.TryConsumeAsync(atExpiry.Id, Guid.NewGuid(), atExpiry.ExpiresAt, Ct));
        Assert.False(await Stores.Invitations.TryConsumeAsync(afterExpiry.Id, Guid.NewGuid(), afterExpiry.ExpiresAt.AddDays(1), Ct));
        Assert.True(await Stores.Invitations.TryConsumeAsync(justBefore.Id, Guid.NewGuid(), justBefore.ExpiresAt.AddMilliseconds(-1), Ct));

        AssertSameInvitation(atExpiry, await Stores.Invitations.FindByTokenHashAsync(atExpiry.TokenHash, Ct));
    }

    [Fact]
    public async Task InvitationTryConsume_UnknownId_ReturnsFalse()
    {
        await CreatedInvitationAsync("known");

        Assert.False(await Stores.Invitations.TryConsumeAsync(Guid.NewGuid(), Guid.NewGuid(), T0, Ct));
    }

    [Fact]
    public async Task InvitationTryConsume_TwentyInParallel_ExactlyOneWins()
    {
        var invitation = await CreatedInvitationAsync("raced", invitedBy: Guid.NewGuid());
        var accounts = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid()).ToArray();

        var results = await Task.WhenAll(accounts.Select(account =>
            Task.Run(() => Stores.Invitations.TryConsumeAsync(invitation.Id, account, T0.AddMinutes(1), Ct), Ct)));

        Assert.Single(results, won => won);
        var winner = accounts[Array.IndexOf(results, true)];
        Assert.Equal(winner, (await Stores.Invitations.FindByTokenHashAsync(invitation.TokenHash, Ct))!.UsedBy);
    }

    [Fact]
    public async Task InvitationPurgeExpired_UsedUnusedAndLive_DeletesEveryExpiredOneOnly()
    {
        var unused = await CreatedInvitationAsync("unused");
        var used = await CreatedInvitationAsync("used");
        Assert.True(await Stores.Invitations.TryConsumeAsync(used.Id, Guid.NewGuid(), T0.AddDays(1), Ct));
        var live = new Invitation(Guid.NewGuid(), Bytes("token:live"), Guid.NewGuid(), Roles.Doctor, null, T0.AddDays(5), T0.AddDays(12));
        await Stores.Invitations.CreateAsync(live, Ct);

        Assert.Equal(2, await Stores.Invitations.PurgeExpiredAsync(T0 + InvitationLifetime + TimeSpan.FromTicks(1), Ct));

        Assert.Null(await Stores.Invitations.FindByTokenHashAsync(unused.TokenHash, Ct));
        Assert.Null(await Stores.Invitations.FindByTokenHashAsync(used.TokenHash, Ct));
        AssertSameInvitation(live, await Stores.Invitations.FindByTokenHashAsync(live.TokenHash, Ct));
    }
}
