using System.Collections.Concurrent;
using Messaging.Client;
using Messaging.Contracts;
using Messaging.Testing;

namespace Messaging.Server.Tests.ScaleOut;

/// <summary>
/// Two server processes share one store (one SQLite file in WAL mode, one key file) and a real Redis backplane;
/// clients reach them through a TCP load balancer. A push crosses nodes live, and when a node is killed with
/// SIGKILL in the middle of a burst, its clients reconnect to the other node and nothing acknowledged is lost or
/// delivered twice. Revoking a device on one node closes its connections on the other and empties its route cache.
/// </summary>
public sealed class TwoNodeTests : IAsyncLifetime
{
    private const int Senders = 2;
    private const int MessagesPerSender = 60;
    private const int KillAfterAcks = 30;

    private readonly TestCiphertext cipher = new();
    private TwoNodeCluster cluster = null!;

    private ServerProcess NodeA => cluster.NodeA;

    private ServerProcess NodeB => cluster.NodeB;

    private TcpLoadBalancer PreferA => cluster.PreferA;

    private TcpLoadBalancer PreferB => cluster.PreferB;

    private Scenario Scenario => cluster.Scenario;

    public async ValueTask InitializeAsync() => cluster = await TwoNodeCluster.StartAsync();

    public async ValueTask DisposeAsync() => await cluster.DisposeAsync();

    [Fact]
    public async Task Send_SenderOnNodeARecipientOnNodeB_PushCrossesNodesLive()
    {
        var (alice, bob, conversation) = await Scenario.PairAsync();
        var sender = await cluster.ConnectAsync(alice, PreferA, MessagingProtocol.MessagePack);
        var recipient = await cluster.ConnectAsync(bob, PreferB, MessagingProtocol.Json);
        await recipient.WaitForDrainAsync(Scenario.Timeout());
        Assert.Equal(1, recipient.DrainCount);

        var ack = await sender.SendTextAsync(conversation, cipher, "across nodes");
        var received = Assert.Single(await recipient.ReceiveAsync(1));

        Assert.Equal(ack.MessageId, received.MessageId);
        Assert.Equal("across nodes", cipher.Open(received.Ciphertext));

        // It came live: the connection that had drained before the send is the one that got it (a reconnection
        // would have had to finish a second drain first).
        await recipient.WaitForDrainAsync(Scenario.Timeout());
        Assert.Equal(1, recipient.DrainCount);
        Assert.True(recipient.IsConnected);

        // And across nodes: every connection of the sender went to A, every connection of the recipient to B.
        Assert.Equal(0, PreferA.ForwardedConnections(NodeB.BaseAddress));
        Assert.Equal(0, PreferB.ForwardedConnections(NodeA.BaseAddress));
        Assert.True(PreferA.ActiveConnections(NodeA.BaseAddress) > 0);
        Assert.True(PreferB.ActiveConnections(NodeB.BaseAddress) > 0);
    }

    [Fact]
    public async Task RevokeDevice_OnNodeAWhileConnectedToNodeB_ClosesItsConnectionOnNodeB()
    {
        var bob = await Scenario.MemberAsync();
        var device = await Scenario.RegisterDeviceAsync(bob);
        var session = await Scenario.DeviceSessionAsync(bob, device.DeviceId);
        var connection = RawHub.Create(NodeB.BaseAddress, session.AccessToken);
        var closed = RawHub.ClosedSignal(connection);
        await using (connection)
        {
            await connection.StartAsync(Scenario.Timeout());

            // The scenario's API talks to node A: the revocation is served there, the connection lives on B.
            await Scenario.Api.DeleteDeviceAsync(await Scenario.FreshTokenAsync(bob), device.DeviceId);

            await closed.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task RevokeDevice_OnNodeA_IsSeenByTheNextSendOnNodeBWhoseRouteWasCached()
    {
        var (alice, bob, conversation) = await Scenario.PairAsync();
        var sender = await cluster.ConnectAsync(alice, PreferB, MessagingProtocol.MessagePack);
        var bobKept = await Scenario.RegisterDeviceAsync(bob);
        var bobRevoked = await Scenario.RegisterDeviceAsync(bob);
        await sender.SendTextAsync(conversation, cipher, "warms node B's route cache");

        await Scenario.Api.DeleteDeviceAsync(await Scenario.FreshTokenAsync(bob), bobRevoked.DeviceId);

        // Node A's notice reaches B through Redis; waiting less than the cache's MaxAge, only the notice explains it.
        MessagingException? refused = null;
        await Eventually.WaitAsync(
            async () =>
            {
                try
                {
                    await sender.SendAsync(conversation, MessagingClient.NewMessageId(), [
                        new OutgoingCopy { DeviceId = bobKept.DeviceId, Ciphertext = cipher.Seal("kept") },
                        new OutgoingCopy { DeviceId = bobRevoked.DeviceId, Ciphertext = cipher.Seal("revoked") },
                    ]);
                    return false;
                }
                catch (MessagingException e)
                {
                    refused = e;
                    return true;
                }
            },
            "node B to see the revocation made on node A",
            Server.Features.Conversations.SendRoutes.MaxAge / 2);

        Assert.Equal(ErrorCodes.DevicesChanged, refused?.Code);
        Assert.Equal([bobRevoked.DeviceId], refused?.HubError?.ExtraDevices ?? []);
    }

    [Fact]
    public async Task Kill9_NodeADuringBurst_ClientsReconnectToNodeBAndEveryAcknowledgedMessageIsDeliveredExactlyOnce()
    {
        // Recipients: Bob's device on B (it stays up), Carol's on A (it dies under her). Senders on A.
        var bob = await Scenario.MemberAsync();
        var carol = await Scenario.MemberAsync();
        await using var bobReceiver = new Receiver(await cluster.ConnectAsync(bob, PreferB, MessagingProtocol.MessagePack));
        await using var carolReceiver = new Receiver(await cluster.ConnectAsync(carol, PreferA, MessagingProtocol.MessagePack));
        var senders = new List<(MessagingClient Client, Guid Conversation)>();
        for (var s = 0; s < Senders; s++)
        {
            var person = await Scenario.MemberAsync();
            senders.Add((await cluster.ConnectAsync(person, PreferA, MessagingProtocol.MessagePack), await Scenario.ConversationAsync(person, bob, carol)));
        }

        Assert.True(PreferA.ActiveConnections(NodeA.BaseAddress) >= Senders + 1);
        Assert.Equal(0, PreferA.ForwardedConnections(NodeB.BaseAddress));
        Assert.Equal(0, PreferB.ForwardedConnections(NodeA.BaseAddress));

        var planned = senders.SelectMany((_, i) => Enumerable.Range(0, MessagesPerSender)
            .Select(n => (Sender: i, Id: MessagingClient.NewMessageId(), Text: $"sender {i} message {n}"))).ToList();
        var acknowledged = new ConcurrentDictionary<Guid, long>();
        var acks = 0;
        using var enoughAcks = new SemaphoreSlim(0);
        var burst = senders.Select((s, i) => Task.Run(async () =>
        {
            foreach (var message in planned.Where(p => p.Sender == i))
            {
                acknowledged[message.Id] = await SendUntilAcknowledgedAsync(s.Client, s.Conversation, message.Id, message.Text);

                // One counter step per ack (see CrashRecoveryTests): the dictionary's count can pass the kill point
                // between two senders' checks.
                if (Interlocked.Increment(ref acks) == KillAfterAcks)
                {
                    enoughAcks.Release();
                }
            }
        })).ToList();

        Assert.True(await enoughAcks.WaitAsync(TimeSpan.FromSeconds(30)), "the burst did not reach the kill point");
        carolReceiver.MarkReconnection();
        await NodeA.KillAsync();
        var ackedAtKill = acknowledged.Count;
        await Task.WhenAll(burst).WaitAsync(TimeSpan.FromSeconds(90));

        // Every message was acknowledged once, by A before the kill or by B after; each conversation's sequence
        // numbers are 1..n without a gap or a repeat (a retry of a message A had stored kept its first number).
        Assert.True(ackedAtKill < planned.Count, "node A was killed after the burst had ended");
        Assert.Equal(planned.Count, acknowledged.Count);
        foreach (var (_, conversation) in senders)
        {
            var sequences = planned.Where(p => senders[p.Sender].Conversation == conversation).Select(p => acknowledged[p.Id]).Order();
            Assert.Equal(Enumerable.Range(1, MessagesPerSender).Select(i => (long)i), sequences);
        }

        // The clients that were on A are now on B, through the same URL.
        Assert.Equal(0, PreferA.ActiveConnections(NodeA.BaseAddress));
        Assert.True(PreferA.ActiveConnections(NodeB.BaseAddress) >= Senders + 1);

        // A message A stored but could not acknowledge is acknowledged by B on the retry without a second push, so
        // it waits in the queue: every device gets it on its next drain. Bob reconnects too, as an app restart would.
        await bobReceiver.ReconnectAsync(() => cluster.ClientFor(bob, bobReceiver.Client.DeviceId, PreferB, MessagingProtocol.MessagePack));
        foreach (var receiver in new[] { bobReceiver, carolReceiver })
        {
            await Eventually.WaitAsync(
                () => receiver.Confirmed == planned.Count, "every message to reach every device and be acknowledged", TimeSpan.FromSeconds(60));
            await receiver.StopAsync();
            Assert.Empty(receiver.DeliveredAfterConfirmedAck);
            Assert.Equal(planned.Select(p => p.Id).Order(), receiver.Stored.Keys.Order());
            foreach (var delivery in receiver.Stored.Values)
            {
                Assert.Equal(acknowledged[delivery.MessageId], delivery.Sequence);
                Assert.Equal(planned.Single(p => p.Id == delivery.MessageId).Text, cipher.Open(delivery.Ciphertext));
            }
        }

        // The acknowledgements took effect in the shared store, whichever node received them.
        Assert.Equal(0L, cluster.CountQueued(bobReceiver.Client.DeviceId, carolReceiver.Client.DeviceId));
        Assert.True(carolReceiver.Client.DrainCount >= 2, "Carol's client did not reconnect and drain");

        // Neither node logged the password of an account nor the Redis password from the connection string.
        var logs = cluster.Logs;
        Assert.DoesNotContain(Scenario.Password, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(TwoNodeCluster.RedisPassword, logs, StringComparison.Ordinal);
    }

    /// <summary>
    /// What an application does: a send that failed without an answer (the node died under it, or under the HTTP
    /// call that lists the devices) is retried with the same message id.
    /// </summary>
    private async Task<long> SendUntilAcknowledgedAsync(MessagingClient client, Guid conversation, Guid messageId, string text)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var ack = await client.SendToConversationAsync(conversation, _ => cipher.Seal(text), messageId, Scenario.Timeout());
                return ack.Sequence;
            }
            catch (Exception e) when (attempt < 5
                && (e is HttpRequestException || (e is MessagingException m && m.Code == ClientErrorCodes.Unavailable)))
            {
                // No answer from the server: the message may or may not be stored; the same id makes the retry safe.
            }
        }
    }

    /// <summary>
    /// A device that stores what it receives by (conversation, message) id and acknowledges each delivery. A delivery
    /// may come again when its acknowledgement had not been confirmed before the connection it came on opened (the SDK
    /// then drains it again); one whose acknowledgement was confirmed before a reconnection must never come again.
    /// </summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<Guid, byte> confirmed = new();
        private HashSet<Guid> confirmedBeforeReconnection = [];
        private CancellationTokenSource stop = new();
        private Task loop;
        private bool stopped;

        public Receiver(MessagingClient client)
        {
            Client = client;
            loop = ReceiveAsync(client, stop.Token);
        }

        public MessagingClient Client { get; private set; }

        /// <summary>What the device stored: each message once.</summary>
        public ConcurrentDictionary<Guid, Delivery> Stored { get; } = new();

        public int Confirmed => confirmed.Count;

        public ConcurrentQueue<Guid> DeliveredAfterConfirmedAck { get; } = new();

        /// <summary>Call before the connection is lost: acknowledgements confirmed by now are final.</summary>
        public void MarkReconnection() => confirmedBeforeReconnection = [.. confirmed.Keys];

        /// <summary>The app restarts: the device's client stops and a new one connects (through the balancer).</summary>
        public async Task ReconnectAsync(Func<MessagingClient> create)
        {
            await StopAsync();
            MarkReconnection();
            stopped = false;
            stop = new CancellationTokenSource();
            Client = create();
            await Client.ConnectAsync(Scenario.Timeout());
            loop = ReceiveAsync(Client, stop.Token);
        }

        /// <summary>Stops receiving and disconnects; what was received stays readable.</summary>
        public async Task StopAsync()
        {
            if (stopped)
            {
                return;
            }

            stopped = true;
            await stop.CancelAsync();
            await loop;
            await Client.DisposeAsync();
            stop.Dispose();
        }

        public async ValueTask DisposeAsync() => await StopAsync();

        private async Task ReceiveAsync(MessagingClient client, CancellationToken cancellationToken)
        {
            try
            {
                await foreach (var delivery in client.ReceiveAsync(cancellationToken))
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        return; // stopping: what is left unacknowledged comes again with the next client's drain
                    }

                    if (confirmedBeforeReconnection.Contains(delivery.MessageId))
                    {
                        DeliveredAfterConfirmedAck.Enqueue(delivery.MessageId);
                    }

                    Stored.TryAdd(delivery.MessageId, delivery);
                    try
                    {
                        // Not cancelled by a stop: an acknowledgement the server applied is always confirmed here.
                        await client.AcknowledgeAsync(new[] { delivery }, CancellationToken.None);
                        confirmed.TryAdd(delivery.MessageId, 0);
                    }
                    catch (MessagingException e) when (e.Code == ClientErrorCodes.Unavailable)
                    {
                        // Not confirmed: the copy may come again with the next drain, which is allowed.
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
        }
    }
}
