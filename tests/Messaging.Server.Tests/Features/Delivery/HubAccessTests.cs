using System.Net;
using System.Net.WebSockets;
using Messaging.Contracts;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Delivery;
using Messaging.Testing;

namespace Messaging.Server.Tests.Features.Delivery;

/// <summary>Who may open the hub, what a device may acknowledge, and what revoking a device does.</summary>
public sealed class HubAccessTests : IAsyncLifetime
{
    private const string AllowedOrigin = "https://app.example.test";
    private readonly TestCiphertext cipher = new();
    private TestServer server = null!;
    private Scenario scenario = null!;

    public async ValueTask InitializeAsync()
    {
        server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Messaging:AllowedOrigins:0"] = AllowedOrigin });
        scenario = await Scenario.StartAsync(server);
    }

    public async ValueTask DisposeAsync()
    {
        await scenario.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Connect_WithoutToken_IsUnauthorized()
    {
        await using var hub = RawHub.Create(server.BaseAddress, token: null);

        var error = await Assert.ThrowsAsync<WebSocketException>(() => hub.StartAsync(Scenario.Timeout()));

        Assert.Contains("'401'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_WithAccountTokenNotBoundToDevice_IsForbiddenAndAudited()
    {
        var alice = await scenario.MemberAsync();
        await using var hub = RawHub.Create(server.BaseAddress, alice.Token);

        var error = await Assert.ThrowsAsync<WebSocketException>(() => hub.StartAsync(Scenario.Timeout()));

        Assert.Contains("'403'", error.Message, StringComparison.Ordinal);
        var audit = await server.Get<IAuditLog>().ListRecentAsync(20, CancellationToken.None);
        Assert.Contains(audit, e => e.Outcome == AuditOutcomes.Denied && e.Reason == ErrorCodes.DeviceRequired && e.AccountId == alice.AccountId);
    }

    [Theory]
    [InlineData("https://evil.example.test", HttpStatusCode.Forbidden)]
    [InlineData(AllowedOrigin, HttpStatusCode.Unauthorized)]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    public async Task Handshake_Origin_OnlyOwnAndAllowedOriginsPass(string? origin, HttpStatusCode expected)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, Routes.Hub);
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        // No token: a passing origin reaches authentication (401); a refused one stops before it (403).
        using var response = await http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Revoke_Device_ClosesItsConnectionDeletesItsQueueAndLeavesTheFanOut()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await scenario.DeviceAsync(alice);
        var bobDevice = await scenario.DeviceAsync(bob);
        await aliceDevice.SendTextAsync(conversation, cipher, "before revocation");
        await Eventually.WaitAsync(async () => (await QueueAsync(bobDevice.DeviceId)).Count == 1, "the copy to be queued");

        await scenario.Api.DeleteDeviceAsync(bob.Token, bobDevice.DeviceId);

        await Eventually.WaitAsync(() => !bobDevice.IsConnected, "the revoked device to be disconnected");
        Assert.Empty(await QueueAsync(bobDevice.DeviceId));
        var devices = await scenario.Api.GetConversationDevicesAsync(alice.Token, conversation);
        Assert.DoesNotContain(devices.Devices, d => d.DeviceId == bobDevice.DeviceId);
        var refused = await Assert.ThrowsAsync<Messaging.Client.MessagingException>(
            () => scenario.DeviceSessionAsync(bob, bobDevice.DeviceId));
        Assert.Equal(ErrorCodes.DeviceRevoked, refused.Code);
    }

    [Fact]
    public async Task Revoke_SomeoneElsesDevice_IsNotFoundForMembersButAllowedForAdmins()
    {
        var alice = await scenario.MemberAsync();
        var bob = await scenario.MemberAsync();
        var bobDevice = await scenario.RegisterDeviceAsync(bob);

        var refused = await Assert.ThrowsAsync<Messaging.Client.MessagingException>(
            () => scenario.Api.DeleteDeviceAsync(alice.Token, bobDevice.DeviceId));
        Assert.Equal(ErrorCodes.NotFound, refused.Code);

        await scenario.Api.DeleteDeviceAsync(scenario.Admin.Token, bobDevice.DeviceId);
        var bobsDevices = await scenario.Api.ListDevicesAsync(bob.Token);
        Assert.Empty(bobsDevices);
    }

    [Fact]
    public async Task Acknowledge_AnotherDevicesCopy_DeletesNothingEitherWay()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await scenario.DeviceAsync(alice);
        var bobDevice = await scenario.DeviceAsync(bob, connect: false);
        var sent = await aliceDevice.SendTextAsync(conversation, cipher, "for Bob only");
        var bobsCopy = new DeliveryRef { ConversationId = conversation, MessageId = sent.MessageId };

        Assert.Equal(0, await aliceDevice.AcknowledgeAsync(bobsCopy));
        Assert.True(await aliceDevice.AcknowledgeQuietlyAsync([bobsCopy]));
        // Answered after the quiet one, which the server handled first: a connection's calls run in order.
        Assert.Equal(0, await aliceDevice.AcknowledgeAsync(bobsCopy));

        Assert.Equal(sent.MessageId, (await QueueAsync(bobDevice.DeviceId)).Single().MessageId);
    }

    private async Task<IReadOnlyList<QueuedCopy>> QueueAsync(Guid deviceId) =>
        await server.Get<IMessageStore>().ReadQueueAsync(deviceId, null, 100, DateTimeOffset.UtcNow, CancellationToken.None);
}
