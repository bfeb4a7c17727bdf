using System.Net;
using Messaging.Client;
using Messaging.Testing;

namespace Messaging.Server.Tests.ScaleOut;

/// <summary>
/// Redis is the backplane, not the store. While it is down, a send is still stored and acknowledged at once; once it is
/// back, a device that stayed connected to the other node gets what was stored for it meanwhile, without reconnecting,
/// and what one node could not tell the others meanwhile reaches them.
/// </summary>
public sealed class RedisOutageTests : IAsyncLifetime
{
    private readonly TestCiphertext cipher = new();
    private TwoNodeCluster cluster = null!;

    public async ValueTask InitializeAsync() => cluster = await TwoNodeCluster.StartAsync();

    public async ValueTask DisposeAsync() => await cluster.DisposeAsync();

    [Fact]
    public async Task RedisDown_SendOnNodeAForADeviceOnNodeB_IsAcknowledgedAtOnceAndPushedOnceRedisIsBack()
    {
        var (alice, bob, conversation) = await cluster.Scenario.PairAsync();
        var sender = await cluster.ConnectAsync(alice, cluster.PreferA, MessagingProtocol.MessagePack);
        var recipient = await cluster.ConnectAsync(bob, cluster.PreferB, MessagingProtocol.MessagePack);
        await recipient.WaitForDrainAsync(Scenario.Timeout());

        await cluster.Redis.KillAsync();
        var started = TimeProvider.System.GetTimestamp();
        var ack = await sender.SendTextAsync(conversation, cipher, "while redis is down");
        var took = TimeProvider.System.GetElapsedTime(started);
        await cluster.Redis.RestartAsync();

        // Not a speed measurement: StackExchange.Redis would hold the push for its 5-second timeout, and the answer
        // with it, if commands waited for the connection to come back instead of failing at once.
        Assert.True(took < TimeSpan.FromSeconds(4), $"the send was answered after {took}");
        var received = Assert.Single(await recipient.ReceiveAsync(1));
        Assert.Equal(ack.MessageId, received.MessageId);
        Assert.Equal("while redis is down", cipher.Open(received.Ciphertext));

        // Pushed again by its node once Redis was back, on the connection that had drained before the outage; the
        // device's next drain would have come only with a new connection, up to an access token's lifetime later.
        Assert.Equal(1, recipient.DrainCount);
        Assert.True(recipient.IsConnected);
        Assert.Contains("pushed 1 waiting copies again to 1 connected devices", cluster.NodeB.Output, StringComparison.Ordinal);

        // Both nodes are back on the backplane: a push crosses nodes live again.
        var after = await sender.SendTextAsync(conversation, cipher, "after");
        Assert.Equal(after.MessageId, Assert.Single(await recipient.ReceiveAsync(1)).MessageId);
        Assert.Equal(1, recipient.DrainCount);
        Assert.DoesNotContain(TwoNodeCluster.RedisPassword, cluster.Logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedisDown_DevicesConnectingToNodeB_AreServedThereAndOnTheBackplaneOnceItIsBack()
    {
        var (alice, bob, conversation) = await cluster.Scenario.PairAsync();
        Assert.Equal((HttpStatusCode.OK, "Healthy"), await TwoNodeCluster.ReadinessAsync(cluster.NodeB));
        await cluster.Redis.KillAsync();

        // Still ready (kept behind the balancer), and saying what is missing.
        await Eventually.WaitAsync(async () => await TwoNodeCluster.ReadinessAsync(cluster.NodeB) == (HttpStatusCode.OK, "Degraded"), "node B to say it is degraded");

        // SignalR's backplane subscribes each new connection on Redis; these used to be closed as they opened.
        var sender = await cluster.ConnectAsync(alice, cluster.PreferB, MessagingProtocol.MessagePack);
        var recipient = await cluster.ConnectAsync(bob, cluster.PreferB, MessagingProtocol.MessagePack);
        await recipient.WaitForDrainAsync(Scenario.Timeout());
        var recipientAgain = cluster.ClientFor(bob, recipient.DeviceId, cluster.PreferB, MessagingProtocol.MessagePack);
        await recipientAgain.ConnectAsync(Scenario.Timeout());
        await recipientAgain.WaitForDrainAsync(Scenario.Timeout());

        // Node B pushes to its own connections without Redis, to each of the device's two: live, not with a drain.
        var during = await sender.SendTextAsync(conversation, cipher, "both on node B while redis is down");
        Assert.Equal(during.MessageId, Assert.Single(await recipient.ReceiveAsync(1, acknowledge: false)).MessageId);
        Assert.Equal(during.MessageId, Assert.Single(await recipientAgain.ReceiveAsync(1)).MessageId);
        Assert.Equal(1, recipient.DrainCount);
        Assert.Contains("served by this node alone", cluster.NodeB.Output, StringComparison.Ordinal);

        await RestartRedisForBothNodesAsync();
        Assert.Equal((HttpStatusCode.OK, "Healthy"), await TwoNodeCluster.ReadinessAsync(cluster.NodeB));

        // The connection opened during the outage is on the backplane now, without reconnecting: a push crosses nodes.
        await AssertPushedLiveFromNodeAAsync(alice, conversation, recipient);
        Assert.True(recipient.IsConnected);
    }

    [Fact]
    public async Task RedisDown_NodeStarting_ServesItsConnectionsAndJoinsTheBackplaneOnceRedisIsUp()
    {
        var (alice, bob, conversation) = await cluster.Scenario.PairAsync();
        await cluster.Redis.KillAsync();

        // A node restarted (or added) during the outage starts; its start used to fail on its first subscription.
        await cluster.NodeB.KillAsync();
        await cluster.NodeB.StartAsync();
        var recipient = await cluster.ConnectAsync(bob, cluster.PreferB, MessagingProtocol.MessagePack);
        await recipient.WaitForDrainAsync(Scenario.Timeout());
        var sender = await cluster.ConnectAsync(alice, cluster.PreferB, MessagingProtocol.MessagePack);
        var during = await sender.SendTextAsync(conversation, cipher, "sent through a node that never reached redis");
        Assert.Equal(during.MessageId, Assert.Single(await recipient.ReceiveAsync(1)).MessageId);

        await RestartRedisForBothNodesAsync();

        // Node B's own channels and the connection's group are on Redis now: a push from node A and a revocation on it
        // reach node B.
        await AssertPushedLiveFromNodeAAsync(alice, conversation, recipient);
        await cluster.Scenario.Api.DeleteDeviceAsync(await cluster.Scenario.FreshTokenAsync(bob), recipient.DeviceId);
        await Eventually.WaitAsync(() => !recipient.IsConnected, "the revoked device's connection on node B to close");
    }

    [Fact]
    public async Task RedisDown_DeviceRevokedOnNodeA_ItsConnectionOnNodeBEndsOnceRedisIsBack()
    {
        var scenario = cluster.Scenario;
        var bob = await scenario.MemberAsync();
        var device = await scenario.RegisterDeviceAsync(bob);
        var session = await scenario.DeviceSessionAsync(bob, device.DeviceId);
        // Registered for pushes before Redis goes: the hub's OnConnectedAsync, which runs after the handshake, joins the
        // device's group on Redis, and a connection whose join meets Redis dying is closed by that (scaling.md).
        var connection = await RawHub.ConnectForPushesAsync(cluster.NodeB.BaseAddress, session.AccessToken);
        var closed = RawHub.ClosedSignal(connection);
        await using (connection)
        {
            await cluster.Redis.KillAsync();

            // Served by node A (the scenario's API), which cannot tell node B while Redis is down.
            await scenario.Api.DeleteDeviceAsync(await scenario.FreshTokenAsync(bob), device.DeviceId);
            await Eventually.WaitAsync(
                () => cluster.NodeA.Output.Contains("device-aborts to the other nodes (", StringComparison.Ordinal),
                "node A to fail to publish the abort");
            Assert.False(closed.IsCompleted, "the connection on node B closed while Redis was down");

            await cluster.Redis.RestartAsync();

            // The access token lives 5 minutes: within this bound, only the abort published again closes the connection.
            await closed.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        }

        // The device's removal is an abort and a change of its conversations' routes: both were kept, and both published again.
        await Eventually.WaitAsync(
            () => cluster.NodeA.Output.Contains("Published again 2 of the 2 notices to the other nodes", StringComparison.Ordinal),
            "node A to log what it published again");
    }

    /// <summary>Redis comes back, and both nodes have resynced on it (each logs it).</summary>
    private async Task RestartRedisForBothNodesAsync()
    {
        await cluster.Redis.RestartAsync();
        await Eventually.WaitAsync(
            () => cluster.NodeA.Output.Contains("The backplane is back", StringComparison.Ordinal)
                && cluster.NodeB.Output.Contains("The backplane is back", StringComparison.Ordinal),
            "both nodes to be back on Redis");
    }

    /// <summary>A message sent by a new device of <paramref name="sender"/> on node A is pushed to the recipient at once, not drained.</summary>
    private async Task AssertPushedLiveFromNodeAAsync(TestPerson sender, Guid conversation, MessagingClient recipient)
    {
        var drains = recipient.DrainCount;
        var onNodeA = await cluster.ConnectAsync(sender, cluster.PreferA, MessagingProtocol.MessagePack);
        var ack = await onNodeA.SendTextAsync(conversation, cipher, "from node A once redis is back");
        Assert.Equal(ack.MessageId, Assert.Single(await recipient.ReceiveAsync(1)).MessageId);
        Assert.Equal(drains, recipient.DrainCount);
    }
}
