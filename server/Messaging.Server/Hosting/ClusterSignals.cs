using Messaging.Server.Features.Conversations;
using Messaging.Server.Features.Devices;
using StackExchange.Redis;

namespace Messaging.Server.Hosting;

/// <summary>
/// What one node must tell the others, on Redis channels every node listens to: closing a device's connections
/// (revocation, sign-out, a replayed refresh token) must reach the node that holds them, and a change to who receives
/// a conversation's messages must empty every node's route cache (<see cref="SendRoutes"/>). Without Redis there is
/// one node, and the local action is all there is.
/// </summary>
internal sealed partial class ClusterSignals(
    RedisOptions options, DeviceConnections connections, RoutingChanges routing, ILogger<ClusterSignals> logger) : IHostedService, IAsyncDisposable
{
    private static readonly RedisChannel Aborts = RedisChannel.Literal($"{ScaleOut.ChannelPrefix}:device-aborts");
    private static readonly RedisChannel RoutingChanged = RedisChannel.Literal($"{ScaleOut.ChannelPrefix}:routing-changes");

    /// <summary>Tells a node's own publications apart from the others' (Redis delivers them to the publisher too).</summary>
    private readonly string nodeId = Guid.NewGuid().ToString("N");
    private ConnectionMultiplexer? redis;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var configuration = ConfigurationOptions.Parse(options.ConnectionString!);
        configuration.AbortOnConnectFail = false;
        configuration.ClientName = $"messaging-signals-{Environment.MachineName}-{Environment.ProcessId}";
        redis = await ConnectionMultiplexer.ConnectAsync(configuration);
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
        connections.Broadcast = deviceId => Publish(Aborts, deviceId.ToString("N"));
        routing.Broadcast = () => Publish(RoutingChanged, nodeId);
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        connections.Broadcast = null;
        routing.Broadcast = null;
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (redis is not null)
        {
            await redis.DisposeAsync();
        }
    }

    private void Publish(RedisChannel channel, string value)
    {
        try
        {
            redis?.GetSubscriber().Publish(channel, value, CommandFlags.FireAndForget);
        }
        catch (RedisException e)
        {
            // Nothing is lost: a revoked device is out of every fan-out and its session is ended, so other nodes refuse
            // its next call and its connection ends with its access token at the latest; other nodes' cached routes
            // expire within SendRoutes.MaxAge.
            LogPublishFailed(logger, channel.ToString(), e.GetType().Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish on {Channel} to the other nodes ({Error})")]
    private static partial void LogPublishFailed(ILogger logger, string channel, string error);
}
