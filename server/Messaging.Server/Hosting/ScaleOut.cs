using Messaging.Server.Features.Delivery;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Messaging.Server.Hosting;

/// <summary>
/// Several server nodes behind one load balancer (docs/scaling.md). With <c>Messaging:Redis:ConnectionString</c>
/// set, SignalR's Redis backplane carries every group send, so a copy stored by the node that took the sender's
/// call is pushed by the node that holds the recipient device's connection. The store stays the truth: a push lost
/// on the way costs latency, not data: a device drains its queue on every connection, and once Redis is back after an
/// outage every node pushes again what waits for the devices connected to it (<see cref="BackplaneResync"/>). During
/// the outage each node keeps serving, and accepting, its own connections (<see cref="OutageTolerantBackplane"/>).
/// </summary>
/// <remarks>
/// Closing a device's connections and emptying the send path's route cache reach every node through
/// <see cref="ClusterSignals"/> (Redis channels of their own), and the HTTP rate-limit buckets live in Redis
/// (<see cref="SharedBuckets"/>). Node-local on purpose: the hub's per-device limits and connection cap, which guard each
/// node's own work and sit on the delivery path, where a Redis round trip per call would cost every message.
/// </remarks>
internal static class ScaleOut
{
    /// <summary>
    /// Every channel of the node's Redis connection starts with this (<see cref="RedisConnection"/>), so the Redis server
    /// can be shared with other applications.
    /// </summary>
    public const string ChannelPrefix = "messaging";

    public static IServiceCollection AddScaleOut(this IServiceCollection services, RedisOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return services;
        }

        // AddSignalR is idempotent: this only swaps the hub lifetime manager for the Redis one, on the node's one connection,
        // wrapped for the hub so that a Redis outage does not close new connections.
        services.AddSingleton(_ => new RedisConnection(options)); // made by the container, so disposed by it
        services.AddSignalR().AddStackExchangeRedis();
        services.AddSingleton<RedisHubLifetimeManager<MessagingHub>>();
        services.AddSingleton<OutageTolerantBackplane>();
        services.AddSingleton<HubLifetimeManager<MessagingHub>>(sp => sp.GetRequiredService<OutageTolerantBackplane>());
        services.AddOptions<Microsoft.AspNetCore.SignalR.StackExchangeRedis.RedisOptions>()
            .Configure<RedisConnection>((backplane, redis) => backplane.ConnectionFactory = async _ => await redis.GetAsync());
        services.AddSingleton<BackplaneResync>();
        services.AddHostedService(sp => sp.GetRequiredService<BackplaneResync>());
        services.AddSingleton<SharedBuckets>();
        services.AddSingleton<ClusterSignals>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterSignals>());
        services.AddHealthChecks().AddCheck<BackplaneHealthCheck>("backplane", tags: ["ready"]);
        return services;
    }

    /// <summary>
    /// Redis carries pushes, not messages: a node that cannot reach it still serves (docs/scaling.md), so it stays ready
    /// (HTTP 200, which keeps it behind the balancer) and says <c>Degraded</c>, for the operator's monitoring.
    /// </summary>
    private sealed class BackplaneHealthCheck(RedisConnection redis) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            (await redis.GetAsync()).IsConnected
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Degraded("Redis is unreachable: pushes do not cross nodes until it is back.");
    }
}
