using System.Net.WebSockets;
using Messaging.Client;
using Messaging.Contracts;
using Messaging.Server.Features.Delivery;
using Messaging.Server.Hosting;
using Messaging.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Tests.Features.Delivery;

/// <summary>Store-and-forward through the real hub: real Kestrel on loopback, a real SQLite file.</summary>
public sealed class DeliveryTests : IAsyncLifetime
{
    private readonly TestCiphertext cipher = new();
    private TestServer server = null!;
    private Scenario scenario = null!;

    public async ValueTask InitializeAsync()
    {
        server = await TestServer.StartAsync();
        scenario = await Scenario.StartAsync(server);
    }

    public async ValueTask DisposeAsync()
    {
        await scenario.DisposeAsync();
        await server.DisposeAsync();
    }

    [Theory]
    [InlineData(MessagingProtocol.Json)]
    [InlineData(MessagingProtocol.MessagePack)]
    public async Task Send_TwoConnectedDevices_DeliversInOrderAndAckDeletesCopies(MessagingProtocol protocol)
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await scenario.DeviceAsync(alice, protocol);
        var bobDevice = await scenario.DeviceAsync(bob, protocol);

        var acks = new List<SendAck>();
        foreach (var text in new[] { "first", "second", "third" })
        {
            acks.Add(await aliceDevice.SendTextAsync(conversation, cipher, text));
        }

        var received = await bobDevice.ReceiveAsync(3);

        Assert.Equal([1L, 2L, 3L], acks.Select(a => a.Sequence));
        Assert.Equal(["first", "second", "third"], received.Select(d => cipher.Open(d.Ciphertext)));
        Assert.Equal(acks.Select(a => a.MessageId), received.Select(d => d.MessageId));
        Assert.All(received, d => Assert.Equal(aliceDevice.DeviceId, d.SenderDeviceId));
        Assert.All(received, d => Assert.Equal(alice.AccountId, d.SenderAccountId));
        await Eventually.WaitAsync(async () => (await QueueAsync(bobDevice.DeviceId)).Count == 0, "acknowledged copies to be deleted");
    }

    [Fact]
    public async Task Drain_OfflineDeviceReconnects_ReceivesEverythingInSequenceOrderThenDrainedSignal()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await scenario.DeviceAsync(alice);
        var bobDevice = await scenario.DeviceAsync(bob, connect: false);
        const int Count = 450; // more than two drain pages

        for (var i = 0; i < Count; i++)
        {
            await aliceDevice.SendTextAsync(conversation, cipher, $"message {i}");
        }

        await bobDevice.ConnectAsync(Scenario.Timeout());
        var received = await bobDevice.ReceiveAsync(Count);
        await bobDevice.WaitForDrainAsync(Scenario.Timeout());

        Assert.Equal(Enumerable.Range(1, Count).Select(i => (long)i), received.Select(d => d.Sequence));
        Assert.Equal(Enumerable.Range(0, Count).Select(i => $"message {i}"), received.Select(d => cipher.Open(d.Ciphertext)));
        Assert.True(bobDevice.DrainCount >= 1);
    }

    [Fact]
    public async Task Send_SenderHasOtherDevices_TheyGetACopyButTheSendingDeviceDoesNot()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var alicePhone = await scenario.DeviceAsync(alice);
        var aliceLaptop = await scenario.DeviceAsync(alice);
        var bobDevice = await scenario.DeviceAsync(bob);

        var ack = await alicePhone.SendTextAsync(conversation, cipher, "to everyone");

        Assert.Equal(ack.MessageId, (await aliceLaptop.ReceiveAsync(1)).Single().MessageId);
        Assert.Equal(ack.MessageId, (await bobDevice.ReceiveAsync(1)).Single().MessageId);
        Assert.Empty(await QueueAsync(alicePhone.DeviceId));
    }

    [Fact]
    public async Task Send_RetryWithSameMessageId_ReturnsSameAckAndStoresOnce()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await scenario.DeviceAsync(alice);
        var bobDevice = await scenario.DeviceAsync(bob, connect: false);
        var messageId = MessagingClient.NewMessageId();

        var first = await aliceDevice.SendTextAsync(conversation, cipher, "once", messageId);
        var retry = await aliceDevice.SendTextAsync(conversation, cipher, "once", messageId);
        var next = await aliceDevice.SendTextAsync(conversation, cipher, "after");

        Assert.Equal(first.Sequence, retry.Sequence);
        Assert.Equal(first.AcceptedAtUnixMs, retry.AcceptedAtUnixMs);
        Assert.Equal(first.Sequence + 1, next.Sequence);
        var queue = await QueueAsync(bobDevice.DeviceId);
        Assert.Equal([messageId, next.MessageId], queue.Select(c => c.MessageId));
    }

    [Fact]
    public async Task Send_RetryAfterTheDevicesChanged_ReturnsTheFirstAckInsteadOfDevicesChanged()
    {
        // The first attempt was stored for the devices of its time; its retry, encrypted for the same devices, must
        // not be asked to cover a device registered since.
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await scenario.DeviceAsync(alice);
        var bobFirst = await scenario.RegisterDeviceAsync(bob);
        var messageId = MessagingClient.NewMessageId();
        List<OutgoingCopy> copies = [new OutgoingCopy { DeviceId = bobFirst.DeviceId, Ciphertext = cipher.Seal("once") }];
        var first = await aliceDevice.SendAsync(conversation, messageId, copies);

        var bobSecond = await scenario.RegisterDeviceAsync(bob);
        var retry = await aliceDevice.SendAsync(conversation, messageId, copies);
        var fresh = await Assert.ThrowsAsync<MessagingException>(() => aliceDevice.SendAsync(conversation, MessagingClient.NewMessageId(), copies));

        Assert.Equal((first.Sequence, first.AcceptedAtUnixMs), (retry.Sequence, retry.AcceptedAtUnixMs));
        Assert.Equal(ErrorCodes.DevicesChanged, fresh.Code);
        Assert.Equal([bobSecond.DeviceId], fresh.HubError?.MissingDevices ?? []);
        Assert.Single(await QueueAsync(bobFirst.DeviceId));
    }

    [Fact]
    public async Task Send_RetryOfAStoredMessage_PushesItsWaitingCopiesAgainAndStoresNothing()
    {
        // A node may store a message and die before pushing it: the sender's retry, answered as a duplicate by
        // another node, must still reach recipients that stayed connected.
        var (aliceDevice, bobDeviceId, bobToken, conversation) = await PairWithBobOnRawConnectionsAsync();
        await using var bobHub = await RawHub.ConnectForPushesAsync(server.BaseAddress, bobToken);
        var pushed = new System.Collections.Concurrent.ConcurrentQueue<Contracts.Delivery>();
        bobHub.On<Contracts.Delivery>(HubMethods.Receive, pushed.Enqueue);
        var messageId = MessagingClient.NewMessageId();

        await aliceDevice.SendTextAsync(conversation, cipher, "once", messageId);
        await Eventually.WaitAsync(() => pushed.Count == 1, "the first push");
        await aliceDevice.SendTextAsync(conversation, cipher, "once", messageId);
        await Eventually.WaitAsync(() => pushed.Count == 2, "the push of the retry");

        Assert.All(pushed, d => Assert.Equal((messageId, 1L), (d.MessageId, d.Sequence)));
        Assert.Equal("once", cipher.Open(pushed.Last().Ciphertext));
        Assert.Single(await QueueAsync(bobDeviceId));
    }

    [Fact]
    public async Task Send_ToADeviceWithTwoOpenConnections_PushesToBoth()
    {
        // A reconnect can race the old connection's close: until it is gone, both must get what arrives (on one
        // node pushes go to the device's known connections, not through a SignalR group).
        var (aliceDevice, _, bobToken, conversation) = await PairWithBobOnRawConnectionsAsync();
        await using var oldConnection = await RawHub.ConnectForPushesAsync(server.BaseAddress, bobToken);
        await using var newConnection = await RawHub.ConnectForPushesAsync(server.BaseAddress, bobToken);
        var pushed = new System.Collections.Concurrent.ConcurrentQueue<(string Connection, Guid MessageId)>();
        oldConnection.On<Contracts.Delivery>(HubMethods.Receive, d => pushed.Enqueue(("old", d.MessageId)));
        newConnection.On<Contracts.Delivery>(HubMethods.Receive, d => pushed.Enqueue(("new", d.MessageId)));

        var ack = await aliceDevice.SendTextAsync(conversation, cipher, "to both");
        await Eventually.WaitAsync(() => pushed.Count == 2, "a push on each connection");

        Assert.Equal(["new", "old"], pushed.Select(p => p.Connection).Order());
        Assert.All(pushed, p => Assert.Equal(ack.MessageId, p.MessageId));
    }

    [Fact]
    public async Task Send_SameMessageIdFromAnotherDevice_IsRejectedAsConflict()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await scenario.DeviceAsync(alice);
        var bobDevice = await scenario.DeviceAsync(bob);
        var messageId = MessagingClient.NewMessageId();
        await aliceDevice.SendTextAsync(conversation, cipher, "mine", messageId);

        var error = await Assert.ThrowsAsync<MessagingException>(() => bobDevice.SendTextAsync(conversation, cipher, "stolen id", messageId));

        Assert.Equal(ErrorCodes.MessageIdConflict, error.Code);
        Assert.Empty(await QueueAsync(aliceDevice.DeviceId));
    }

    [Fact]
    public async Task Send_StaleDeviceList_ReturnsDevicesChangedWithTheDifferenceAndStoresNothing()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await scenario.DeviceAsync(alice);
        var bobOld = await scenario.DeviceAsync(bob, connect: false);
        var stale = Guid.NewGuid();
        var bobNew = await scenario.DeviceAsync(bob, connect: false);

        var error = await Assert.ThrowsAsync<MessagingException>(() => aliceDevice.SendAsync(
            conversation,
            MessagingClient.NewMessageId(),
            [new OutgoingCopy { DeviceId = bobOld.DeviceId, Ciphertext = cipher.Seal("x") }, new OutgoingCopy { DeviceId = stale, Ciphertext = cipher.Seal("x") }]));

        Assert.Equal(ErrorCodes.DevicesChanged, error.Code);
        Assert.Equal([bobNew.DeviceId], error.HubError!.MissingDevices!);
        Assert.Equal([stale], error.HubError!.ExtraDevices!);
        Assert.Empty(await QueueAsync(bobOld.DeviceId));

        // The SDK's conversation send fetches the current list itself.
        var ack = await aliceDevice.SendTextAsync(conversation, cipher, "now right");
        Assert.Equal(1, ack.Sequence);
        Assert.Single(await QueueAsync(bobNew.DeviceId));
    }

    [Fact]
    public async Task Ack_Unacknowledged_IsDeliveredAgainOnReconnect_Acknowledged_IsNot()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await scenario.DeviceAsync(alice);
        var bobDevice = await scenario.DeviceAsync(bob);
        await aliceDevice.SendTextAsync(conversation, cipher, "kept");
        await aliceDevice.SendTextAsync(conversation, cipher, "done");
        var both = await bobDevice.ReceiveAsync(2, acknowledge: false);
        await bobDevice.AcknowledgeAsync(both[1]);
        await bobDevice.DisposeAsync();

        var again = scenario.ClientFor(bob, bobDevice.DeviceId);
        await again.ConnectAsync(Scenario.Timeout());
        await again.WaitForDrainAsync(Scenario.Timeout());
        var redelivered = await again.ReceiveAsync(1);

        Assert.Equal("kept", cipher.Open(redelivered.Single().Ciphertext));
        Assert.Equal(both[0].MessageId, redelivered.Single().MessageId);
        await Eventually.WaitAsync(async () => (await QueueAsync(bobDevice.DeviceId)).Count == 0, "the queue to be empty");
    }

    [Fact]
    public async Task Acknowledge_Twice_RemovesOnceAndIsHarmless()
    {
        var (bobDevice, _, delivery) = await OneUnacknowledgedDeliveryAsync("one");

        Assert.Equal(1, await bobDevice.AcknowledgeAsync(delivery));
        Assert.Equal(0, await bobDevice.AcknowledgeAsync(delivery));
    }

    [Fact]
    public async Task AcknowledgeQuietly_DeletesTheNamedCopiesOnly()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await scenario.DeviceAsync(alice);
        var bobDevice = await scenario.DeviceAsync(bob);
        await aliceDevice.SendTextAsync(conversation, cipher, "kept");
        await aliceDevice.SendTextAsync(conversation, cipher, "done");
        var both = await bobDevice.ReceiveAsync(2, acknowledge: false);

        Assert.True(await bobDevice.AcknowledgeQuietlyAsync([both[1].ToRef()]));

        await Eventually.WaitAsync(async () => (await QueueAsync(bobDevice.DeviceId)).Count == 1, "the quietly acknowledged copy to be deleted");
        Assert.Equal(both[0].MessageId, (await QueueAsync(bobDevice.DeviceId)).Single().MessageId);
    }

    [Fact]
    public async Task AcknowledgeQuietly_WhileTheServerIsDown_SendsNothingAndTheCopyComesAgain()
    {
        var (bobDevice, _, delivery) = await OneUnacknowledgedDeliveryAsync("again");
        await server.StopAsync();
        await Eventually.WaitAsync(() => !bobDevice.IsConnected, "Bob's client to lose its connection");

        Assert.False(await bobDevice.AcknowledgeQuietlyAsync([delivery.ToRef()]));

        await server.StartAsync();
        // The client may hold the copy twice already (by push and by its first drain, under load), so the one read
        // next can come before it is back: the quiet acknowledgement is only sent once it is connected again.
        await Eventually.WaitAsync(() => bobDevice.IsConnected, "Bob's client to reconnect");
        var again = (await bobDevice.ReceiveAsync(1, acknowledge: false)).Single();
        Assert.Equal(delivery.MessageId, again.MessageId);
        Assert.True(await bobDevice.AcknowledgeQuietlyAsync([again.ToRef()]));
        await Eventually.WaitAsync(async () => (await QueueAsync(bobDevice.DeviceId)).Count == 0, "the copy to be deleted once acknowledged");
    }

    [Fact]
    public async Task AcknowledgeQuietly_ThenTheClientClosesAtOnce_TheCopyIsStillDeleted()
    {
        var (bobDevice, _, delivery) = await OneUnacknowledgedDeliveryAsync("acknowledged on the way out");

        // As a client does when it stops: its last acknowledgements go out, then the connection closes. The server has
        // the request; that the connection is gone by the time it is written changes nothing. Raw frames on a plain
        // WebSocket, so that the acknowledgement is on the wire before the close: SignalR's own client drops what it has
        // not yet written when it stops (the SDK confirms its last quiet acknowledgement with an answered call first).
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {await bobDevice.GetAccessTokenAsync()}");
        await socket.ConnectAsync(new UriBuilder(new Uri(server.BaseAddress, Routes.Hub)) { Scheme = "ws" }.Uri, Scenario.Timeout());
        await SendFrameAsync(socket, """{"protocol":"json","version":1}""");
        await ReceiveFrameAsync(socket); // the handshake's answer
        await SendFrameAsync(socket, $$"""
            {"type":1,"target":"{{HubMethods.AcknowledgeQuietly}}","arguments":[{"deliveries":[{"conversationId":"{{delivery.ConversationId}}","messageId":"{{delivery.MessageId}}"}]}]}
            """);
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, Scenario.Timeout());

        await Eventually.WaitAsync(async () => (await QueueAsync(bobDevice.DeviceId)).Count == 0, "the copy to be deleted after the close");
    }

    [Fact]
    public async Task AcknowledgeQuietly_ThenTheSdkClientIsDisposedAtOnce_TheCopyIsDeleted()
    {
        var (bobDevice, _, delivery) = await OneUnacknowledgedDeliveryAsync("acknowledged as the app stops");

        // The SDK confirms its last quiet acknowledgement with an answered call before it closes (without it, SignalR's
        // client could drop the frame as it stopped: this failed once in a full CI run).
        Assert.True(await bobDevice.AcknowledgeQuietlyAsync([delivery.ToRef()]));
        await bobDevice.DisposeAsync();

        Assert.Empty(await QueueAsync(bobDevice.DeviceId));
    }

    /// <summary>One SignalR JSON message (its record separator added) as a text frame.</summary>
    private static Task SendFrameAsync(ClientWebSocket socket, string message) =>
        socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(message + "\u001e"), WebSocketMessageType.Text, endOfMessage: true, Scenario.Timeout());

    private static async Task ReceiveFrameAsync(ClientWebSocket socket)
    {
        var buffer = new byte[4096];
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, Scenario.Timeout());
        }
        while (!result.EndOfMessage);
    }

    [Fact]
    public async Task AcknowledgeQuietly_TooManyDeliveries_IsRefusedToTheCallerAndDeletesNothing()
    {
        var (bobDevice, conversation, delivery) = await OneUnacknowledgedDeliveryAsync("kept");
        var refused = new TaskCompletionSource<HubError>(TaskCreationOptions.RunContinuationsAsynchronously);
        bobDevice.AcknowledgementRefused += (_, error) => refused.TrySetResult(error);
        var limit = server.Get<IOptions<MessagingOptions>>().Value.Delivery.MaxAcknowledgementsPerCall;
        var tooMany = Enumerable.Range(0, limit)
            .Select(_ => new DeliveryRef { ConversationId = conversation, MessageId = Guid.CreateVersion7() })
            .Prepend(delivery.ToRef());

        Assert.True(await bobDevice.AcknowledgeQuietlyAsync(tooMany));
        var error = await refused.Task.WaitAsync(Scenario.Timeout());

        // The server handles a connection's calls one at a time: the refusal came after the request was dealt with.
        Assert.Equal(ErrorCodes.PayloadTooLarge, error.Code);
        Assert.Equal(delivery.MessageId, (await QueueAsync(bobDevice.DeviceId)).Single().MessageId);
    }

    [Fact]
    public async Task Restart_ServerStoppedAndStarted_LosesNothingAndClientsReconnect()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await scenario.DeviceAsync(alice);
        var bobDevice = await scenario.DeviceAsync(bob, connect: false);
        var liveBob = await scenario.DeviceAsync(bob);
        for (var i = 0; i < 20; i++)
        {
            await aliceDevice.SendTextAsync(conversation, cipher, $"before {i}");
        }

        Assert.Equal(20, (await liveBob.ReceiveAsync(20)).Count);
        await server.RestartAsync();
        // Alice's client reconnects by itself; this send waits for it.
        var after = await aliceDevice.SendTextAsync(conversation, cipher, "after restart");
        await bobDevice.ConnectAsync(Scenario.Timeout());
        var received = await bobDevice.ReceiveAsync(21);

        Assert.Equal(21, after.Sequence);
        Assert.Equal([.. Enumerable.Range(0, 20).Select(i => $"before {i}"), "after restart"], received.Select(d => cipher.Open(d.Ciphertext)));
        Assert.Equal("after restart", cipher.Open((await liveBob.ReceiveAsync(1)).Single().Ciphertext));
    }

    /// <summary>Alice connected through the SDK; Bob's registered device with a device token for raw hub connections.</summary>
    private async Task<(MessagingClient AliceDevice, Guid BobDeviceId, string BobToken, Guid Conversation)> PairWithBobOnRawConnectionsAsync()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await scenario.DeviceAsync(alice);
        var bobDevice = await scenario.RegisterDeviceAsync(bob);
        var bobToken = await scenario.DeviceSessionAsync(bob, bobDevice.DeviceId);
        return (aliceDevice, bobDevice.DeviceId, bobToken.AccessToken, conversation);
    }

    /// <summary>Alice sends Bob one message; Bob's connected device receives it and does not acknowledge it.</summary>
    private async Task<(MessagingClient BobDevice, Guid Conversation, Contracts.Delivery Delivery)> OneUnacknowledgedDeliveryAsync(string text)
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await scenario.DeviceAsync(alice);
        var bobDevice = await scenario.DeviceAsync(bob);
        await aliceDevice.SendTextAsync(conversation, cipher, text);
        return (bobDevice, conversation, (await bobDevice.ReceiveAsync(1, acknowledge: false)).Single());
    }

    private async Task<IReadOnlyList<QueuedCopy>> QueueAsync(Guid deviceId) =>
        await server.Get<IMessageStore>().ReadQueueAsync(deviceId, null, 10_000, DateTimeOffset.UtcNow, CancellationToken.None);
}
