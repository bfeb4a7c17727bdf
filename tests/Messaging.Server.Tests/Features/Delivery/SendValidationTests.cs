using System.Threading.Channels;
using Messaging.Contracts;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Delivery;
using Messaging.Testing;
using Microsoft.AspNetCore.SignalR.Client;

namespace Messaging.Server.Tests.Features.Delivery;

/// <summary>Bad input on the hub gets a stable error code and changes nothing.</summary>
public sealed class SendValidationTests : IAsyncLifetime
{
    private readonly TestCiphertext cipher = new();
    private TestServer server = null!;
    private Scenario scenario = null!;
    private TestPerson alice = null!;
    private Guid conversation;
    private Guid bobDevice;
    private Guid bobSecondDevice;
    private HubConnection hub = null!;

    public async ValueTask InitializeAsync()
    {
        server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Messaging:Delivery:MaxCopyBytes"] = "1024",
            ["Messaging:Delivery:MaxBatchBytes"] = "1536",
        });
        scenario = await Scenario.StartAsync(server);
        alice = await scenario.MemberAsync();
        var bob = await scenario.MemberAsync();
        conversation = await scenario.ConversationAsync(alice, bob);
        bobDevice = (await scenario.RegisterDeviceAsync(bob)).DeviceId;
        bobSecondDevice = (await scenario.RegisterDeviceAsync(bob)).DeviceId;
        var aliceDevice = await scenario.RegisterDeviceAsync(alice);
        var token = await scenario.DeviceSessionAsync(alice, aliceDevice.DeviceId);
        hub = await RawHub.ConnectAsync(server.BaseAddress, token.AccessToken);
    }

    public async ValueTask DisposeAsync()
    {
        await hub.DisposeAsync();
        await scenario.DisposeAsync();
        await server.DisposeAsync();
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "empty message id", ErrorCodes.InvalidRequest },
        { "empty conversation id", ErrorCodes.InvalidRequest },
        { "duplicate device", ErrorCodes.InvalidRequest },
        { "empty ciphertext", ErrorCodes.InvalidRequest },
        { "empty device id", ErrorCodes.InvalidRequest },
        { "copy too large", ErrorCodes.PayloadTooLarge },
        { "batch too large", ErrorCodes.PayloadTooLarge },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Send_BadRequest_ReturnsStableCodeAndStoresNothing(string fault, string expectedCode)
    {
        var request = ValidRequest();
        switch (fault)
        {
            case "empty message id": request.MessageId = Guid.Empty; break;
            case "empty conversation id": request.ConversationId = Guid.Empty; break;
            case "duplicate device": request.Copies[1].DeviceId = request.Copies[0].DeviceId; break;
            case "empty ciphertext": request.Copies[0].Ciphertext = []; break;
            case "empty device id": request.Copies[0].DeviceId = Guid.Empty; break;
            case "copy too large": request.Copies[0].Ciphertext = new byte[1025]; break;
            case "batch too large": request.Copies.ForEach(c => c.Ciphertext = new byte[1000]); break;
        }

        var result = await hub.InvokeAsync<SendResult>(HubMethods.Send, request);

        Assert.Null(result.Ack);
        Assert.Equal(expectedCode, result.Error?.Code);
        Assert.False(string.IsNullOrWhiteSpace(result.Error?.Message));
        await AssertNothingStoredAsync();
        // A valid send on the same connection still works: the error closed nothing.
        Assert.Equal(1, (await hub.InvokeAsync<SendResult>(HubMethods.Send, ValidRequest())).Ack?.Sequence);
    }

    [Fact]
    public async Task Send_NullRequest_IsInvalidAndStoresNothing()
    {
        var result = await hub.InvokeAsync<SendResult>(HubMethods.Send, (SendRequest?)null);

        Assert.Equal(ErrorCodes.InvalidRequest, result.Error?.Code);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Send_NotAMember_IsRefusedAndAudited()
    {
        var carol = await scenario.MemberAsync();
        var dave = await scenario.MemberAsync();
        var otherConversation = await scenario.ConversationAsync(carol, dave);
        var request = ValidRequest();
        request.ConversationId = otherConversation;

        var result = await hub.InvokeAsync<SendResult>(HubMethods.Send, request);

        Assert.Equal(ErrorCodes.NotAMember, result.Error?.Code);
        var audit = await server.Get<IAuditLog>().ListRecentAsync(20, CancellationToken.None);
        Assert.Contains(audit, e => e is { Action: "message.send", Outcome: AuditOutcomes.Denied, Reason: ErrorCodes.NotAMember }
            && e.AccountId == alice.AccountId && e.Target == otherConversation.ToString());
    }

    [Fact]
    public async Task Send_UnknownConversation_IsRefusedLikeNonMembership()
    {
        var request = ValidRequest();
        request.ConversationId = Guid.NewGuid();

        var result = await hub.InvokeAsync<SendResult>(HubMethods.Send, request);

        Assert.Equal(ErrorCodes.NotAMember, result.Error?.Code);
    }

    [Fact]
    public async Task SendDirect_ToSomeDevicesOfTheConversation_IsStoredForThoseOnly()
    {
        var request = ValidRequest();
        request.Direct = true;
        request.Copies.RemoveAt(1);

        var result = await hub.InvokeAsync<SendResult>(HubMethods.Send, request);

        Assert.Equal(1, result.Ack?.Sequence);
        var store = server.Get<IMessageStore>();
        Assert.Single(await store.ReadQueueAsync(bobDevice, null, 100, DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.Empty(await store.ReadQueueAsync(bobSecondDevice, null, 100, DateTimeOffset.UtcNow, CancellationToken.None));
    }

    [Fact]
    public async Task SendDirect_ToADeviceOutsideTheConversation_IsRefusedAndStoresNothing()
    {
        var stranger = await scenario.RegisterDeviceAsync(await scenario.MemberAsync());
        var request = ValidRequest();
        request.Direct = true;
        request.Copies = [new OutgoingCopy { DeviceId = stranger.DeviceId, Ciphertext = cipher.Seal("x") }];

        var result = await hub.InvokeAsync<SendResult>(HubMethods.Send, request);

        Assert.Equal(ErrorCodes.DevicesChanged, result.Error?.Code);
        Assert.Equal([stranger.DeviceId], result.Error!.ExtraDevices!);
        Assert.Empty(result.Error.MissingDevices!);
        Assert.Empty(await server.Get<IMessageStore>().ReadQueueAsync(stranger.DeviceId, null, 100, DateTimeOffset.UtcNow, CancellationToken.None));
    }

    [Fact]
    public async Task SendDirect_WithNoCopy_IsInvalid()
    {
        var request = ValidRequest();
        request.Direct = true;
        request.Copies = [];

        var result = await hub.InvokeAsync<SendResult>(HubMethods.Send, request);

        Assert.Equal(ErrorCodes.InvalidRequest, result.Error?.Code);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Acknowledge_Empty_IsInvalid()
    {
        var result = await hub.InvokeAsync<AcknowledgeResult>(HubMethods.Acknowledge, new AcknowledgeRequest());

        Assert.Equal(ErrorCodes.InvalidRequest, result.Error?.Code);
    }

    [Fact]
    public async Task AcknowledgeQuietly_EmptyOrNull_IsRefusedToTheCallerWithTheSameCode()
    {
        var refusals = Channel.CreateUnbounded<HubError>();
        using var subscription = hub.On<HubError>(HubMethods.AcknowledgeRefused, error => refusals.Writer.TryWrite(error));

        await hub.SendAsync(HubMethods.AcknowledgeQuietly, new AcknowledgeRequest());
        await hub.SendAsync(HubMethods.AcknowledgeQuietly, (AcknowledgeRequest?)null);

        Assert.Equal(ErrorCodes.InvalidRequest, (await refusals.Reader.ReadAsync(Scenario.Timeout())).Code);
        Assert.Equal(ErrorCodes.InvalidRequest, (await refusals.Reader.ReadAsync(Scenario.Timeout())).Code);
    }

    [Fact]
    public async Task AcknowledgeQuietly_Unreadable_IsDroppedAndTheConnectionStaysUsable()
    {
        // SignalR cannot bind it, and a call without an invocation id gets no answer: it is logged and dropped.
        await hub.SendAsync(HubMethods.AcknowledgeQuietly, "not an acknowledgement");

        var next = await hub.InvokeAsync<AcknowledgeResult>(HubMethods.Acknowledge, new AcknowledgeRequest());
        Assert.Equal(ErrorCodes.InvalidRequest, next.Error?.Code);
        Assert.Equal(HubConnectionState.Connected, hub.State);
    }

    private SendRequest ValidRequest() => new()
    {
        ConversationId = conversation,
        MessageId = Guid.CreateVersion7(),
        Copies =
        [
            new OutgoingCopy { DeviceId = bobDevice, Ciphertext = cipher.Seal("a") },
            new OutgoingCopy { DeviceId = bobSecondDevice, Ciphertext = cipher.Seal("a") },
        ],
    };

    private async Task AssertNothingStoredAsync()
    {
        var store = server.Get<IMessageStore>();
        Assert.Empty(await store.ReadQueueAsync(bobDevice, null, 100, DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.Empty(await store.ReadQueueAsync(bobSecondDevice, null, 100, DateTimeOffset.UtcNow, CancellationToken.None));
    }
}
