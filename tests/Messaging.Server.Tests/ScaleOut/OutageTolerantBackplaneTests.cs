using Messaging.Server.Hosting;
using Messaging.Testing;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Messaging.Server.Tests.ScaleOut;

/// <summary>
/// The orders of events the process-level outage tests do not choose: a connection opened during an outage asks for its
/// group before Redis is back, as it comes back (racing the node's resync), or after the resync ran; or leaves one before
/// Redis is back. The group must end up subscribed on Redis, or not, as Redis itself reports it (<c>PUBSUB CHANNELS</c>).
/// The node is in-process, with a real Redis, and its connection contexts are made here: no client needed.
/// </summary>
public sealed class OutageTolerantBackplaneTests : IAsyncLifetime
{
    private RedisServer redis = null!;
    private TestServer server = null!;

    public async ValueTask InitializeAsync()
    {
        redis = await RedisServer.StartAsync();
        server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Messaging:Redis:ConnectionString"] = redis.ConnectionString });
    }

    public async ValueTask DisposeAsync()
    {
        await server.DisposeAsync();
        await redis.DisposeAsync();
    }

    [Fact]
    public async Task GroupAskedDuringTheOutage_IsSubscribedByTheResyncOnceRedisIsBack()
    {
        var backplane = server.Get<OutageTolerantBackplane>();
        await redis.KillAsync();
        var connection = NewConnection();

        await backplane.OnConnectedAsync(connection);
        await backplane.AddToGroupAsync(connection.ConnectionId, "during");
        await RestartRedisAsync();

        await Eventually.WaitAsync(() => IsSubscribedAsync("during"), "the group to be subscribed");
    }

    [Fact]
    public async Task GroupAskedAfterTheResync_IsSubscribedAtOnce()
    {
        var backplane = server.Get<OutageTolerantBackplane>();
        await redis.KillAsync();
        var connection = NewConnection();
        await backplane.OnConnectedAsync(connection);
        await RestartRedisAsync();
        await JoinedByTheResyncAsync();

        await backplane.AddToGroupAsync(connection.ConnectionId, "after-resync");

        Assert.True(await IsSubscribedAsync("after-resync"));
    }

    [Fact]
    public async Task GroupAskedAsRedisComesBack_IsSubscribedWhicheverComesFirst()
    {
        var backplane = server.Get<OutageTolerantBackplane>();
        await redis.KillAsync();
        var connection = NewConnection();
        await backplane.OnConnectedAsync(connection);
        await RestartRedisAsync();

        // Races the node's resync, which starts when the connection comes back: joined by whichever runs last.
        await backplane.AddToGroupAsync(connection.ConnectionId, "racing");

        await Eventually.WaitAsync(() => IsSubscribedAsync("racing"), "the group to be subscribed");
    }

    [Fact]
    public async Task GroupLeftDuringTheOutage_IsNotSubscribedByTheResync()
    {
        var backplane = server.Get<OutageTolerantBackplane>();
        await redis.KillAsync();
        var connection = NewConnection();
        await backplane.OnConnectedAsync(connection);
        await backplane.AddToGroupAsync(connection.ConnectionId, "left");
        await backplane.AddToGroupAsync(connection.ConnectionId, "kept");
        await backplane.RemoveFromGroupAsync(connection.ConnectionId, "left");
        await RestartRedisAsync();
        await JoinedByTheResyncAsync();

        Assert.True(await IsSubscribedAsync("kept"));
        Assert.False(await IsSubscribedAsync("left"));
    }

    private static HubConnectionContext NewConnection() =>
        new(new DefaultConnectionContext(), new HubConnectionContextOptions { KeepAliveInterval = TimeSpan.FromSeconds(15), ClientTimeoutInterval = TimeSpan.FromSeconds(30) }, NullLoggerFactory.Instance);

    /// <summary>Redis again, and the node's connection to it back (what the node's resync waits for too).</summary>
    private async Task RestartRedisAsync()
    {
        await redis.RestartAsync();
        var node = await server.Get<RedisConnection>().GetAsync();
        await Eventually.WaitAsync(() => node.GetSubscriber().IsConnected(), "the node to be subscribed to Redis again");
    }

    /// <summary>
    /// The node's own resync joined the connection opened during the outage (it runs when each of Redis's two links comes
    /// back, and joins once the subscription link is back).
    /// </summary>
    private Task JoinedByTheResyncAsync() =>
        Eventually.WaitAsync(
            () => server.Logs.Lines.Any(line => line.Contains("1 hub connections were opened here meanwhile", StringComparison.Ordinal)),
            "the node's resync to join the connection");

    /// <summary>Whether some node listens on the group's channel, as Redis itself reports it.</summary>
    private async Task<bool> IsSubscribedAsync(string group)
    {
        await using var observer = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var channels = await observer.GetServer(observer.GetEndPoints()[0])
            .SubscriptionChannelsAsync(RedisChannel.Pattern($"*:group:{group}"));
        return channels.Length > 0;
    }
}
