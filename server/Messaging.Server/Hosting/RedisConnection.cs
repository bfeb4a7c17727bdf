using StackExchange.Redis;

namespace Messaging.Server.Hosting;

/// <summary>
/// The node's one connection to Redis, shared by SignalR's backplane and <see cref="ClusterSignals"/>: the node then
/// knows when the backplane itself came back (<see cref="ClusterSignals"/> resyncs its connected devices then).
/// </summary>
/// <remarks>
/// While Redis is unreachable, commands fail at once instead of waiting in StackExchange.Redis's backlog: a push is
/// published while the send's answer waits, and the backlog held every send 5 seconds (its timeout) before failing
/// anyway. A push that fails costs latency, not data: the copy is stored, and the resync brings it.
/// </remarks>
internal sealed class RedisConnection(RedisOptions options) : IAsyncDisposable
{
    private readonly Lazy<Task<ConnectionMultiplexer>> connection = new(() => ConnectAsync(options));

    public Task<ConnectionMultiplexer> GetAsync() => connection.Value;

    public async ValueTask DisposeAsync()
    {
        if (connection.IsValueCreated)
        {
            await (await connection.Value).DisposeAsync();
        }
    }

    private static Task<ConnectionMultiplexer> ConnectAsync(RedisOptions options)
    {
        var configuration = ConfigurationOptions.Parse(options.ConnectionString!);

        // A node starts and keeps serving while Redis is unreachable, and reconnects in the background.
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ChannelPrefix = RedisChannel.Literal(ScaleOut.ChannelPrefix);
        configuration.ClientName = $"messaging-{Environment.MachineName}-{Environment.ProcessId}";
        return ConnectionMultiplexer.ConnectAsync(configuration);
    }
}
