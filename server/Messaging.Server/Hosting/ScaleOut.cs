using StackExchange.Redis;

namespace Messaging.Server.Hosting;

/// <summary>
/// Several server nodes behind one load balancer (docs/scaling.md). With <c>Messaging:Redis:ConnectionString</c>
/// set, SignalR's Redis backplane carries every group send, so a copy stored by the node that took the sender's
/// call is pushed by the node that holds the recipient device's connection. The store stays the truth: a push lost
/// on the way (Redis down, a node dying) costs latency, not data, because the device drains its queue on reconnect.
/// </summary>
/// <remarks>
/// Closing a device's connections and emptying the send path's route cache reach every node through
/// <see cref="ClusterSignals"/> (Redis channels of their own). Node-local on purpose: the rate-limit buckets (each node keeps its own).
/// </remarks>
internal static class ScaleOut
{
    /// <summary>Every backplane channel starts with this, so the Redis server can be shared with other applications.</summary>
    public const string ChannelPrefix = "messaging";

    public static IServiceCollection AddScaleOut(this IServiceCollection services, RedisOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return services;
        }

        // AddSignalR is idempotent: this only swaps the hub lifetime manager for the Redis one.
        services.AddSignalR().AddStackExchangeRedis(options.ConnectionString, redis =>
        {
            redis.Configuration.ChannelPrefix = RedisChannel.Literal(ChannelPrefix);

            // A node starts and keeps serving while Redis is unreachable, and reconnects in the background: sends
            // are still stored and acknowledged, and devices get their copies on their next drain.
            redis.Configuration.AbortOnConnectFail = false;
            redis.Configuration.ClientName = $"messaging-{Environment.MachineName}-{Environment.ProcessId}";
        });
        services.AddSingleton(options);
        services.AddSingleton<ClusterSignals>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterSignals>());
        return services;
    }
}
