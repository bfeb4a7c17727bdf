using System.Net;
using System.Net.WebSockets;
using Messaging.Client;
using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Audit;
using Messaging.Testing;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Messaging.Server.Tests.Features.Accounts;

/// <summary>
/// The named rate limits with small budgets: sign-ins per client address, code checks per account, hub sends,
/// acknowledgements of nothing and connections per device. A refusal is 429 <c>rate-limited</c> over HTTP (with Retry-After
/// where a bucket refills; a device's connections are refused before the WebSocket upgrade), the <c>rate-limited</c> hub
/// error on the hub, and audited. Each test starts its own server with its own budgets (the buckets refill in real time).
/// </summary>
public sealed class RateLimitTests
{
    [Fact]
    public async Task SignIn_FourthWithinAMinuteFromOneAddress_IsRateLimitedWithRetryAfterAndAudited()
    {
        await using var server = await TestServer.StartAsync(Limits("SignInsPerMinute", 3));
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var login = Scenario.UniqueLogin("operator");
        await CreateOperatorAsync(server, login);

        var answers = new List<HttpAnswer>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add(await http.CallAsync(HttpMethod.Post, Routes.Sessions, null, new LoginRequest(login, Scenario.Password)));
        }

        Assert.All(answers[..3], a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Equal((HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited), (answers[3].Status, answers[3].Code));
        Assert.NotNull(answers[3].RetryAfter);
        Assert.InRange(answers[3].RetryAfter!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        var events = await server.AuditAsync();
        Assert.Contains(events, e => e.Action == "http.request" && e.Outcome == AuditOutcomes.Denied && e.Reason == ErrorCodes.RateLimited
            && e.Target == $"POST {Routes.Sessions}");
        var challenge = await http.CallAsync(HttpMethod.Post, Routes.SessionChallenge);
        Assert.Equal(ErrorCodes.RateLimited, challenge.Code);
    }

    [Fact]
    public async Task VerifySecondFactor_ThirdCheckWithinAMinute_IsRateLimitedForThatAccountOnly()
    {
        await using var server = await TestServer.StartAsync(Limits("CodeChecksPerMinute", 2));
        await using var scenario = await Scenario.StartAsync(server);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var (accountId, login) = await scenario.AcceptedStaffAsync();
        var (_, otherLogin) = await scenario.AcceptedStaffAsync();
        var token = (await scenario.Api.SignInAsync(login, Scenario.Password)).AccessToken;
        var otherToken = (await scenario.Api.SignInAsync(otherLogin, Scenario.Password)).AccessToken;

        var answers = new List<HttpAnswer>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add(await http.CallAsync(HttpMethod.Post, Routes.SecondFactor, token, new SecondFactorRequest(SecondFactors.Totp, "123456")));
        }

        var other = await http.CallAsync(HttpMethod.Post, Routes.SecondFactor, otherToken, new SecondFactorRequest(SecondFactors.Totp, "123456"));

        Assert.All(answers[..2], a => Assert.Equal(ErrorCodes.InvalidCode, a.Code));
        Assert.Equal((HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited), (answers[2].Status, answers[2].Code));
        Assert.NotNull(answers[2].RetryAfter);
        Assert.Equal(ErrorCodes.InvalidCode, other.Code);
        await server.AssertAuditedAsync("http.request", AuditOutcomes.Denied, accountId, ErrorCodes.RateLimited);
        var confirm = await http.CallAsync(HttpMethod.Post, Routes.ConfirmTotp, token, new ConfirmTotpRequest("123456", "state"));
        Assert.Equal(ErrorCodes.RateLimited, confirm.Code);
    }

    [Fact]
    public async Task HubSend_ThirdInABurst_IsRateLimitedForThatDeviceOnlyAndAudited()
    {
        var cipher = new TestCiphertext();
        await using var server = await TestServer.StartAsync(Limits("SendsPerMinute", 2));
        await using var scenario = await Scenario.StartAsync(server);
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await scenario.DeviceAsync(alice);
        var bobDevice = await scenario.DeviceAsync(bob);

        await aliceDevice.SendTextAsync(conversation, cipher, "un");
        await aliceDevice.SendTextAsync(conversation, cipher, "deux");
        var third = await Assert.ThrowsAsync<MessagingException>(() => aliceDevice.SendTextAsync(conversation, cipher, "trois"));
        var fromBob = await bobDevice.SendTextAsync(conversation, cipher, "réponse");

        Assert.Equal(ErrorCodes.RateLimited, third.Code);
        Assert.Equal(ErrorCodes.RateLimited, third.HubError?.Code);
        Assert.Equal(3, fromBob.Sequence);
        await server.AssertAuditedAsync("message.send", AuditOutcomes.Denied, alice.AccountId, ErrorCodes.RateLimited);
        var received = await bobDevice.ReceiveAsync(2);
        Assert.Equal(["un", "deux"], received.Select(d => cipher.Open(d.Ciphertext)));
    }

    [Fact]
    public async Task HubAcknowledge_OnceItsUnmatchedBudgetIsSpent_IsRefusedForThatDeviceOnlyAndAudited_WhileWaitingCopiesCostNothing()
    {
        var cipher = new TestCiphertext();
        await using var server = await TestServer.StartAsync(Limits("UnmatchedAcknowledgementsPerMinute", 2));
        await using var scenario = await Scenario.StartAsync(server);
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await scenario.DeviceAsync(alice);
        var bobDevice = await scenario.DeviceAsync(bob);
        foreach (var text in new[] { "un", "deux", "trois" })
        {
            await aliceDevice.SendTextAsync(conversation, cipher, text);
        }

        var backlog = await bobDevice.ReceiveAsync(3, acknowledge: false);
        var removed = await bobDevice.AcknowledgeAsync(backlog); // three waiting copies, more than the budget: free
        var removedAgain = await bobDevice.AcknowledgeAsync(backlog); // three that match nothing: the budget is spent
        await aliceDevice.SendTextAsync(conversation, cipher, "quatre");
        var fourth = (await bobDevice.ReceiveAsync(1, acknowledge: false)).Single();
        var refused = await Assert.ThrowsAsync<MessagingException>(() => bobDevice.AcknowledgeAsync(fourth));
        var fromAlice = await aliceDevice.AcknowledgeAsync(new DeliveryRef { ConversationId = conversation, MessageId = Guid.CreateVersion7() });

        Assert.Equal((3, 0), (removed, removedAgain));
        Assert.Equal(ErrorCodes.RateLimited, refused.Code);
        Assert.Equal(0, fromAlice);
        await server.AssertAuditedAsync("message.acknowledge", AuditOutcomes.Denied, bob.AccountId, ErrorCodes.RateLimited);
        var stillWaiting = await server.Get<Messaging.Server.Features.Delivery.IMessageStore>().ReadQueueAsync(
            bobDevice.DeviceId, null, 10, server.Get<TimeProvider>().GetUtcNow(), CancellationToken.None);
        Assert.Equal(fourth.MessageId, Assert.Single(stillWaiting).MessageId);
    }

    [Fact]
    public async Task HubConnect_BeyondTheDevicesConnections_IsRefusedBeforeTheUpgradeForThatDeviceOnlyAuditedAndNotAnError()
    {
        await using var server = await TestServer.StartAsync(Limits("ConnectionsPerDevice", 2));
        await using var scenario = await Scenario.StartAsync(server);
        var alice = await scenario.MemberAsync();
        var device = await scenario.RegisterDeviceAsync(alice);
        var token = (await scenario.DeviceSessionAsync(alice, device.DeviceId)).AccessToken;
        var first = await RawHub.ConnectForPushesAsync(server.BaseAddress, token);
        await using var second = await RawHub.ConnectForPushesAsync(server.BaseAddress, token);

        // Refused with the status of the WebSocket request itself: no upgrade, no handshake.
        Assert.Equal(HttpStatusCode.TooManyRequests, await UpgradeStatusAsync(server, token));
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var refused = await http.CallAsync(HttpMethod.Get, Routes.Hub, token);
        Assert.Equal((HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited), (refused.Status, refused.Code));
        await using var otherDevice = await RawHub.ConnectForPushesAsync(server.BaseAddress, await DeviceTokenAsync(scenario, alice));

        await server.AssertAuditedAsync("hub.connect", AuditOutcomes.Denied, alice.AccountId, ErrorCodes.RateLimited);
        Assert.DoesNotContain(server.Logs.Lines, line => line.StartsWith("Error ", StringComparison.Ordinal));
        await foreach (var _ in second.StreamAsync<Messaging.Contracts.Delivery>(HubMethods.Drain, Scenario.Timeout()))
        {
        }

        // A closed connection gives its place back (once the server has seen it close).
        await first.DisposeAsync();
        HubConnection? again = null;
        await Eventually.WaitAsync(
            async () => (again = await TryConnectForPushesAsync(server, token)) is not null,
            "a connection to take the closed one's place");
        await again!.DisposeAsync();
        await second.DisposeAsync();

        // Nothing is kept for a device with no connection left.
        var cap = server.Get<Messaging.Server.Features.Delivery.HubConnectionCap>();
        await Eventually.WaitAsync(() => cap.OpenFor(device.DeviceId) == 0, "the device's count to be given back");
    }

    [Fact]
    public async Task SdkClient_BeyondTheDevicesConnections_ReportsTheRefusalThenGetsInOnceAPlaceFrees()
    {
        await using var server = await TestServer.StartAsync(Limits("ConnectionsPerDevice", 1));
        await using var scenario = await Scenario.StartAsync(server);
        var alice = await scenario.MemberAsync();
        var first = await scenario.DeviceAsync(alice);
        var second = scenario.ClientFor(alice, first.DeviceId);
        var refused = new TaskCompletionSource<HubError>(TaskCreationOptions.RunContinuationsAsynchronously);
        second.ConnectionRefused += (_, error) => refused.TrySetResult(error);

        // Refused before the upgrade, the client keeps trying with its backoff; ConnectAsync returns once it is in.
        var connecting = second.ConnectAsync(Scenario.Timeout());
        var refusal = await refused.Task.WaitAsync(Scenario.Timeout());
        Assert.False(connecting.IsCompleted);
        await first.DisposeAsync();

        Assert.Equal(ErrorCodes.RateLimited, refusal.Code);
        await connecting;
        await second.WaitForDrainAsync(Scenario.Timeout()); // connected and drained once the first connection closed
    }

    [Fact]
    public async Task SdkClient_ReconnectingBeyondTheDevicesConnections_ReportsTheRefusalThenGetsBackInOnceAPlaceFrees()
    {
        await using var server = await TestServer.StartAsync(Limits("ConnectionsPerDevice", 1));
        await using var scenario = await Scenario.StartAsync(server);
        await using var network = new TcpLoadBalancer([server.BaseAddress]);
        var alice = await scenario.MemberAsync();
        var device = await scenario.RegisterDeviceAsync(alice);
        await using var client = new MessagingClient(new MessagingClientOptions
        {
            ServerUri = network.BaseAddress,
            Session = scenario.SessionFor(alice, device.DeviceId),
            DeviceId = device.DeviceId,
            // Every retry comes 1 to 2 seconds after the last: the window in which the test takes the freed place.
            ReconnectBackoff = new ReconnectBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2)),
        });
        var refused = new TaskCompletionSource<HubError>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ConnectionRefused += (_, error) => refused.TrySetResult(error);
        await client.ConnectAsync(Scenario.Timeout());
        await client.WaitForDrainAsync(Scenario.Timeout());

        // The client's connection drops; before it tries again, another connection of the device takes the place.
        network.CutAll();
        var cap = server.Get<Messaging.Server.Features.Delivery.HubConnectionCap>();
        await Eventually.WaitAsync(() => cap.OpenFor(device.DeviceId) == 0, "the server to see the connection drop");
        var other = scenario.ClientFor(alice, device.DeviceId);
        await other.ConnectAsync(Scenario.Timeout());

        // SignalR's reconnection meets the 429: reported, and the client keeps trying.
        Assert.Equal(ErrorCodes.RateLimited, (await refused.Task.WaitAsync(Scenario.Timeout())).Code);
        Assert.Equal(1, client.DrainCount);
        await other.DisposeAsync();
        await Eventually.WaitAsync(() => client.DrainCount == 2 && client.IsConnected, "the client to get back in and drain");
    }

    /// <summary>Scenario's generous limits (set by TestServer for every test), with one of them made small.</summary>
    private static Dictionary<string, string?> Limits(string name, int perMinute) =>
        new(Scenario.GenerousLimits) { [$"Messaging:RateLimits:{name}"] = perMinute.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    private static async Task<string> DeviceTokenAsync(Scenario scenario, TestPerson person) =>
        (await scenario.DeviceSessionAsync(person, (await scenario.RegisterDeviceAsync(person)).DeviceId)).AccessToken;

    /// <summary>The HTTP status the server answers a WebSocket request to the hub with (101 when it upgrades).</summary>
    private static async Task<HttpStatusCode> UpgradeStatusAsync(TestServer server, string token)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        var hub = new UriBuilder(new Uri(server.BaseAddress, Routes.Hub)) { Scheme = "ws" }.Uri;
        try
        {
            await socket.ConnectAsync(hub, Scenario.Timeout());
        }
        catch (WebSocketException)
        {
            // Not upgraded: the status says why.
        }

        return socket.HttpStatusCode;
    }

    private static async Task<HubConnection?> TryConnectForPushesAsync(TestServer server, string token)
    {
        var connection = RawHub.Create(server.BaseAddress, token);
        try
        {
            await connection.StartAsync(Scenario.Timeout());
            await foreach (var _ in connection.StreamAsync<Messaging.Contracts.Delivery>(HubMethods.Drain, Scenario.Timeout()))
            {
            }

            return connection;
        }
        catch (Exception e) when (e is HubException or InvalidOperationException or IOException or OperationCanceledException or WebSocketException)
        {
            await connection.DisposeAsync();
            return null;
        }
    }

    /// <summary>An account made through the server's own account service: no sign-in-type request spent on it.</summary>
    private static async Task CreateOperatorAsync(TestServer server, string login)
    {
        var outcome = await server.Get<AccountService>().CreateAsync(
            Roles.Operator, login, Scenario.Password, null, "fr", null, null, TestContext.Current.CancellationToken);
        Assert.IsType<AccountService.CreateOutcome.Created>(outcome);
    }
}
