using Messaging.Server.Features.Conversations;
using Messaging.Server.Features.Delivery;
using Messaging.Server.Features.Devices;
using StackExchange.Redis;

namespace Messaging.Server.Hosting;

/// <summary>
/// What one node must tell the others, on Redis channels every node listens to: closing a device's connections
/// (revocation, sign-out, a replayed refresh token) must reach the node that holds them, and a change to who receives
/// a conversation's messages must empty every node's route cache (<see cref="SendRoutes"/>), and a node whose Redis
/// connection came back must have every node push again what waits for its connected devices (<see cref="BackplaneResync"/>):
/// pushes published while it was cut off, by it or to it, were lost. Without Redis there is one node, and the local
/// action is all there is.
/// </summary>
internal sealed partial class ClusterSignals(
    RedisConnection connection, DeviceConnections connections, RoutingChanges routing, BackplaneResync resync, ILogger<ClusterSignals> logger)
    : IHostedService
{
    // The connection's channel prefix (ScaleOut.ChannelPrefix) comes first: "messaging:device-aborts".
    private static readonly RedisChannel Aborts = RedisChannel.Literal(":device-aborts");
    private static readonly RedisChannel RoutingChanged = RedisChannel.Literal(":routing-changes");
    private static readonly RedisChannel Resync = RedisChannel.Literal(":backplane-resync");

    /// <summary>Tells a node's own publications apart from the others' (Redis delivers them to the publisher too).</summary>
    private readonly string nodeId = Guid.NewGuid().ToString("N");
    private ConnectionMultiplexer? redis;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        redis = await connection.GetAsync();
        var subscriber = redis.GetSubscriber();
        await subscriber.SubscribeAsync(Aborts, (_, value) =>
        {
            if (Guid.TryParse(value.ToString(), out var deviceId))
            {
                connections.AbortLocal(deviceId);
            }
        });
        await subscriber.SubscribeAsync(RoutingChanged, (_, value) =>
        {
            if (value != nodeId)
            {
                routing.ChangedElsewhere();
            }
        });
        await subscriber.SubscribeAsync(Resync, (_, value) =>
        {
            if (value != nodeId)
            {
                resync.Request();
            }
        });
        redis.ConnectionRestored += OnConnectionRestored;
        connections.Broadcast = deviceId => Publish(Aborts, deviceId.ToString("N"));
        routing.Broadcast = () => Publish(RoutingChanged, nodeId);
    }

    /// <summary>
    /// Either of the connection's two links (commands, subscriptions) came back: this node resyncs its own devices, and
    /// asks the others to resync theirs (what this node failed to publish was meant for them too).
    /// </summary>
    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        LogRestored(logger, e.ConnectionType);
        resync.Request();
        Publish(Resync, nodeId);
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        connections.Broadcast = null;
        routing.Broadcast = null;
        if (redis is not null)
        {
            redis.ConnectionRestored -= OnConnectionRestored;
        }

        return Task.CompletedTask;
    }

    private void Publish(RedisChannel channel, string value)
    {
        try
        {
            redis?.GetSubscriber().Publish(channel, value, CommandFlags.FireAndForget);
        }
        catch (RedisException e)
        {
            // Redis is unreachable (the connection fails at once, RedisConnection). Nothing is lost: a revoked device is
            // out of every fan-out and its session is ended, so other nodes refuse its next call and its connection ends
            // with its access token at the latest; other nodes' cached routes expire within SendRoutes.MaxAge; a resync
            // request is published again when the connection's other link comes back, and each node resyncs its own
            // devices when its own connection does.
            LogPublishFailed(logger, channel.ToString(), e.GetType().Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The Redis connection ({Link}) is back")]
    private static partial void LogRestored(ILogger logger, ConnectionType link);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish on {Channel} to the other nodes ({Error})")]
    private static partial void LogPublishFailed(ILogger logger, string channel, string error);
}
