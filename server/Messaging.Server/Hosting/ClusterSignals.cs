using Messaging.Server.Features.Conversations;
using Messaging.Server.Features.Delivery;
using Messaging.Server.Features.Devices;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Messaging.Server.Hosting;

/// <summary>
/// What one node must tell the others, on Redis channels every node listens to: closing a device's connections
/// (revocation, sign-out, a replayed refresh token) must reach the node that holds them, and a change to who receives
/// a conversation's messages must empty every node's route cache (<see cref="SendRoutes"/>), and a node whose Redis
/// connection came back must have every node push again what waits for its connected devices (<see cref="BackplaneResync"/>):
/// pushes published while it was cut off, by it or to it, were lost. Without Redis there is one node, and the local
/// action is all there is. A notice that could not be published while Redis was unreachable is published again once
/// it is back (<see cref="UnsentNotices"/>).
/// </summary>
internal sealed partial class ClusterSignals(
    RedisConnection connection,
    DeviceConnections connections,
    RoutingChanges routing,
    BackplaneResync resync,
    IOptions<MessagingOptions> options,
    TimeProvider time,
    ILogger<ClusterSignals> logger)
    : IHostedService
{
    // The connection's channel prefix (ScaleOut.ChannelPrefix) comes first: "messaging:device-aborts".
    private static readonly RedisChannel Aborts = RedisChannel.Literal(":device-aborts");
    private static readonly RedisChannel RoutingChanged = RedisChannel.Literal(":routing-changes");
    private static readonly RedisChannel Resync = RedisChannel.Literal(":backplane-resync");

    /// <summary>Tells a node's own publications apart from the others' (Redis delivers them to the publisher too).</summary>
    private readonly string nodeId = Guid.NewGuid().ToString("N");
    private readonly UnsentNotices unsent = new(time, options.Value.Tokens.AccessTokenLifetime);
    private ConnectionMultiplexer? redis;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        redis = await connection.GetAsync();
        var subscriber = redis.GetSubscriber();
        await SubscribeAsync(subscriber, Aborts, (_, value) =>
        {
            if (Guid.TryParse(value.ToString(), out var deviceId))
            {
                connections.AbortLocal(deviceId);
            }
        });
        await SubscribeAsync(subscriber, RoutingChanged, (_, value) =>
        {
            if (value != nodeId)
            {
                routing.ChangedElsewhere();
            }
        });
        await SubscribeAsync(subscriber, Resync, (_, value) =>
        {
            // Another node is back on Redis: it may have missed what this node published again when its own
            // connection came back a moment before.
            if (value != nodeId)
            {
                resync.Request();
                PublishKeptAgain();
            }
        });
        redis.ConnectionRestored += OnConnectionRestored;
        connections.Broadcast = deviceId => _ = PublishOrKeepAsync(Aborts, deviceId.ToString("N"));
        routing.Broadcast = () => _ = PublishOrKeepAsync(RoutingChanged, nodeId);
    }

    /// <summary>
    /// A node starts while Redis is unreachable: StackExchange.Redis keeps the handler of a subscription that failed and
    /// subscribes it once Redis answers, as it does for every subscription after an outage.
    /// </summary>
    private async Task SubscribeAsync(ISubscriber subscriber, RedisChannel channel, Action<RedisChannel, RedisValue> handler)
    {
        try
        {
            await subscriber.SubscribeAsync(channel, handler);
        }
        catch (RedisException e)
        {
            LogSubscribeLater(logger, channel.ToString(), e.GetType().Name);
        }
    }

    /// <summary>
    /// Either of the connection's two links (commands, subscriptions) came back: this node resyncs its own devices, and
    /// asks the others to resync theirs (what this node failed to publish was meant for them too).
    /// </summary>
    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        LogRestored(logger, e.ConnectionType);
        resync.Request();
        _ = PublishAsync(Resync, nodeId);
        PublishKeptAgain();
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

    /// <summary>An abort or a route change: kept if it cannot be published now, and published again once Redis is back.</summary>
    private async Task PublishOrKeepAsync(RedisChannel channel, string value)
    {
        if (!await PublishAsync(channel, value))
        {
            unsent.Keep(channel, value);
        }
    }

    /// <summary>
    /// The notices that failed while Redis was unreachable, published again. Never a resync request: those are made anew
    /// each time a connection comes back, and one sent again here would make the other nodes answer with theirs.
    /// </summary>
    private void PublishKeptAgain() => _ = PublishKeptAgainAsync();

    private async Task PublishKeptAgainAsync()
    {
        var notices = unsent.StillRelevant();
        if (notices.Count > 0)
        {
            var results = await Task.WhenAll(notices.Select(notice => PublishAsync(notice.Channel, notice.Value)));
            var published = results.Count(done => done);
            LogPublishedAgain(logger, published, notices.Count, unsent.Dropped);
        }
    }

    /// <summary>
    /// Whether Redis took the notice. Not fire-and-forget: StackExchange.Redis drops such a command silently when it has
    /// no connection, and this node must know, to keep the notice. Never throws: callers do not wait for it.
    /// </summary>
    private async Task<bool> PublishAsync(RedisChannel channel, string value)
    {
        if (redis is null)
        {
            return true;
        }

        try
        {
            await redis.GetSubscriber().PublishAsync(channel, value);
            return true;
        }
        catch (Exception e) when (e is RedisException or ObjectDisposedException)
        {
            // Redis is unreachable (the connection fails at once, RedisConnection), or the node is stopping. An abort or a route change is kept
            // and published again once Redis is back (UnsentNotices); until then, a revoked device is out of every
            // fan-out and its session is ended, so other nodes refuse its next call, and other nodes' cached routes
            // expire within SendRoutes.MaxAge. A resync request is made anew when the connection's other link comes
            // back, and each node resyncs its own devices when its own connection does.
            LogPublishFailed(logger, channel.ToString(), e.GetType().Name);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The Redis connection ({Link}) is back")]
    private static partial void LogRestored(ILogger logger, ConnectionType link);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unreachable: {Channel} is subscribed once it answers ({Error})")]
    private static partial void LogSubscribeLater(ILogger logger, string channel, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish on {Channel} to the other nodes ({Error})")]
    private static partial void LogPublishFailed(ILogger logger, string channel, string error);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Published again {Published} of the {Kept} notices to the other nodes that failed while Redis was unreachable ({Dropped} dropped for lack of room)")]
    private static partial void LogPublishedAgain(ILogger logger, int published, int kept, long dropped);
}
