using Messaging.Client;
using Messaging.Contracts;
using Messaging.Server.Features.Conversations;
using Messaging.Server.Features.Devices;
using Messaging.Testing;

namespace Messaging.Server.Tests.Features.Delivery;

/// <summary>
/// The send path reads a conversation's route (participants and their active devices) from a cache. Every test warms
/// the cache with a send first, then changes who receives, and proves the very next send sees the change: a new or
/// revoked device, a member removed from the practice or invited back. A change made behind the services' back is
/// seen once the cached route is <see cref="SendRoutes.MaxAge"/> old (the manual clock shows the bound).
/// </summary>
public sealed class SendRouteCacheTests() : ServerTest(manualClock: true)
{
    private readonly TestCiphertext cipher = new();

    [Fact]
    public async Task Send_AfterRecipientRegisteredADevice_AsksForTheNewDevice()
    {
        var (alice, bob, conversation) = await Scenario.PairAsync();
        var aliceDevice = await Scenario.DeviceAsync(alice);
        var bobFirst = await Scenario.RegisterDeviceAsync(bob);
        await aliceDevice.SendTextAsync(conversation, cipher, "warm");

        var bobSecond = await Scenario.RegisterDeviceAsync(bob);
        var stale = await SendRefusedAsync(aliceDevice, conversation, bobFirst.DeviceId);

        Assert.Equal(ErrorCodes.DevicesChanged, stale.Code);
        Assert.Equal([bobSecond.DeviceId], stale.HubError?.MissingDevices ?? []);
    }

    [Fact]
    public async Task Send_AfterRecipientDeviceRevoked_NamesItAsExtraAndStoresNothingForIt()
    {
        var (alice, bob, conversation) = await Scenario.PairAsync();
        var aliceDevice = await Scenario.DeviceAsync(alice);
        var bobKept = await Scenario.RegisterDeviceAsync(bob);
        var bobRevoked = await Scenario.RegisterDeviceAsync(bob);
        await aliceDevice.SendTextAsync(conversation, cipher, "warm");

        await Scenario.Api.DeleteDeviceAsync(await Scenario.FreshTokenAsync(bob, cancellationToken: Ct), bobRevoked.DeviceId, Ct);
        var stale = await SendRefusedAsync(aliceDevice, conversation, bobKept.DeviceId, bobRevoked.DeviceId);

        Assert.Equal(ErrorCodes.DevicesChanged, stale.Code);
        Assert.Equal([bobRevoked.DeviceId], stale.HubError?.ExtraDevices ?? []);
    }

    [Fact]
    public async Task Send_ByMemberRemovedFromThePractice_IsRefusedAndTheOthersNoLongerCopyThem()
    {
        var (alice, bob, conversation) = await Scenario.PairAsync();
        var aliceDevice = await Scenario.DeviceAsync(alice);
        var bobDevice = await Scenario.DeviceAsync(bob);
        await bobDevice.SendTextAsync(conversation, cipher, "warm");

        await Scenario.Api.RemovePracticeMemberAsync(await AdminTokenAsync(), Scenario.Practice, bob.AccountId, Ct);
        var refused = await SendRefusedAsync(bobDevice, conversation, aliceDevice.DeviceId);
        var stale = await SendRefusedAsync(aliceDevice, conversation, bobDevice.DeviceId);

        Assert.Equal(ErrorCodes.NotAMember, refused.Code);
        Assert.Equal(ErrorCodes.DevicesChanged, stale.Code);
        Assert.Equal([bobDevice.DeviceId], stale.HubError?.ExtraDevices ?? []);
    }

    [Fact]
    public async Task Send_AfterRemovedMemberAcceptedANewInvitation_CopiesThemAgain()
    {
        var (alice, bob, conversation) = await Scenario.PairAsync();
        var aliceDevice = await Scenario.DeviceAsync(alice);
        var aliceOther = await Scenario.RegisterDeviceAsync(alice);
        var bobDevice = await Scenario.RegisterDeviceAsync(bob);
        await Scenario.Api.RemovePracticeMemberAsync(await AdminTokenAsync(), Scenario.Practice, bob.AccountId, Ct);
        await aliceDevice.SendTextAsync(conversation, cipher, "warm, without Bob");

        var invitation = await Scenario.Api.InviteAsync(
            await AdminTokenAsync(), Scenario.Practice, new CreateInvitationRequest(Roles.Doctor, null, null, null, null), Ct);
        await Scenario.Api.AcceptInvitationAsync(
            new AcceptInvitationRequest(invitation.Token, null, null, null), await Scenario.FreshTokenAsync(bob, cancellationToken: Ct), Ct);
        var stale = await SendRefusedAsync(aliceDevice, conversation, aliceOther.DeviceId);

        Assert.Equal(ErrorCodes.DevicesChanged, stale.Code);
        Assert.Equal([bobDevice.DeviceId], stale.HubError?.MissingDevices ?? []);
    }

    [Fact]
    public async Task Send_AfterAChangeBehindTheServices_SeesItOnceTheRouteIsMaxAgeOld()
    {
        var (alice, bob, conversation) = await Scenario.PairAsync();
        var aliceDevice = await Scenario.DeviceAsync(alice);
        var bobDevice = await Scenario.RegisterDeviceAsync(bob);
        await aliceDevice.SendTextAsync(conversation, cipher, "warm");

        // Straight into the store, as another node would if its change notice were lost: the cached route still
        // holds the device until it is MaxAge old.
        Assert.True(await Server.Get<IDeviceStore>().RevokeAsync(bobDevice.DeviceId, Clock.GetUtcNow(), Ct));
        await aliceDevice.SendAsync(conversation, MessagingClient.NewMessageId(), Copies(bobDevice.DeviceId), Ct);
        Clock.Advance(SendRoutes.MaxAge);
        var fresh = await SendRefusedAsync(aliceDevice, conversation, bobDevice.DeviceId);

        Assert.Equal(ErrorCodes.DevicesChanged, fresh.Code);
        Assert.Equal([bobDevice.DeviceId], fresh.HubError?.ExtraDevices ?? []);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<string> AdminTokenAsync() => Scenario.FreshTokenAsync(Scenario.Admin, cancellationToken: Ct);

    private List<OutgoingCopy> Copies(params Guid[] devices) =>
        [.. devices.Select(d => new OutgoingCopy { DeviceId = d, Ciphertext = cipher.Seal("route") })];

    private Task<MessagingException> SendRefusedAsync(MessagingClient client, Guid conversation, params Guid[] devices) =>
        Assert.ThrowsAsync<MessagingException>(() => client.SendAsync(conversation, MessagingClient.NewMessageId(), Copies(devices), Ct));
}
