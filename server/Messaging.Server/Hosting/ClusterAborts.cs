using Messaging.Server.Features.Devices;
using StackExchange.Redis;

namespace Messaging.Server.Hosting;

/// <summary>
/// With several nodes, closing a device's connections (revocation, sign-out, a replayed refresh token) must reach the
/// node that holds them. With Redis configured, every abort is also published on a Redis channel that every node
/// listens to, and each node closes its own connections of that device. Without Redis there is one node, and the
/// local abort is all there is.
/// </summary>
internal sealed partial class ClusterAborts(RedisOptions options, DeviceConnections connections, ILogger<ClusterAborts> logger) : IHostedService, IAsyncDisposable
{
    private static readonly RedisChannel Channel = RedisChannel.Literal($"{ScaleOut.ChannelPrefix}:device-aborts");
    private ConnectionMultiplexer? redis;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var configuration = ConfigurationOptions.Parse(options.ConnectionString!);
        configuration.AbortOnConnectFail = false;
        configuration.ClientName = $"messaging-aborts-{Environment.MachineName}-{Environment.ProcessId}";
        redis = await ConnectionMultiplexer.ConnectAsync(configuration);
        await redis.GetSubscriber().SubscribeAsync(Channel, (_, value) =>
        {
            if (Guid.TryParse(value.ToString(), out var deviceId))
            {
                connections.AbortLocal(deviceId);
            }
        });
        connections.Broadcast = Publish;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        connections.Broadcast = null;
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (redis is not null)
        {
            await redis.DisposeAsync();
        }
    }

    private void Publish(Guid deviceId)
    {
        try
        {
            redis?.GetSubscriber().Publish(Channel, deviceId.ToString("N"), CommandFlags.FireAndForget);
        }
        catch (RedisException e)
        {
            // The device is out of every fan-out and its session is ended whatever happens here: other nodes refuse
            // its next call, and its connection ends with its access token at the latest.
            LogPublishFailed(logger, deviceId, e.GetType().Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell the other nodes to close device {DeviceId}'s connections ({Error})")]
    private static partial void LogPublishFailed(ILogger logger, Guid deviceId, string error);
}
