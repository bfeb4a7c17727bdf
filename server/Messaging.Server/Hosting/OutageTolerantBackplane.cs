using System.Collections.Concurrent;
using Messaging.Server.Features.Delivery;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using StackExchange.Redis;

namespace Messaging.Server.Hosting;

/// <summary>
/// SignalR's Redis backplane, except that a hub connection opened while Redis is unreachable is served by this node
/// alone instead of being closed as it opens. The backplane subscribes each new connection's channels on Redis before
/// the hub runs, and that fails during an outage; but the connection is already registered on this node by then, and
/// nothing is ever sent to those channels (pushes go to a device's group, and a node writes to its own connections
/// directly). Such a connection sends, drains and acknowledges, and gets the pushes of this node
/// (<see cref="Features.Devices.DevicePush"/> falls back to its local connections when Redis refuses a push). The groups
/// it asks to join wait here, and join once Redis is back (<see cref="JoinWaitingAsync"/>, run by
/// <see cref="BackplaneResync"/> before it pushes again what waits), so pushes from other nodes reach it again without
/// a reconnection.
/// </summary>
/// <remarks>
/// A group is not joined while Redis is down, rather than joined and left failing: the backplane registers a group's
/// subscription before it tries Redis, and a failed one stays without a reader, so a later connection of the same device
/// on this node would share it and never be pushed to. This node only ever adds its own connections to groups
/// (<see cref="Features.Devices.DevicePush.Group"/>), so a waiting connection is always a local one.
/// </remarks>
internal sealed partial class OutageTolerantBackplane(
    RedisHubLifetimeManager<MessagingHub> backplane, RedisConnection redis, ILogger<OutageTolerantBackplane> logger)
    : HubLifetimeManager<MessagingHub>
{
    /// <summary>Only the connections opened during an outage, until they join: every other one costs nothing here.</summary>
    private readonly ConcurrentDictionary<string, WaitingConnection> waiting = new();
    private int openedDuringOutage;

    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        try
        {
            await backplane.OnConnectedAsync(connection);
        }
        catch (RedisException)
        {
            waiting[connection.ConnectionId] = new WaitingConnection(connection);
            if (Interlocked.Increment(ref openedDuringOutage) == 1)
            {
                LogServedAlone(logger);
            }
        }
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        waiting.TryRemove(connection.ConnectionId, out _);
        try
        {
            await backplane.OnDisconnectedAsync(connection);
        }
        catch (RedisException)
        {
            // The connection is forgotten on this node; StackExchange.Redis drops a subscription locally before it tells
            // Redis, and Redis dropped this node's subscriptions with its connection.
        }
    }

    public override async Task AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
    {
        if (!waiting.TryGetValue(connectionId, out var connection))
        {
            await backplane.AddToGroupAsync(connectionId, groupName, cancellationToken);
            return;
        }

        if (!connection.Wait(groupName))
        {
            // Its waiting groups were joined a moment ago.
            await backplane.AddToGroupAsync(connectionId, groupName, cancellationToken);
            return;
        }

        // Redis may have come back since the connection opened, and the resync that joins waiting groups run before this
        // group was added: then nothing else would join it.
        if (await CanSubscribeAsync())
        {
            await JoinAsync(connectionId);
        }
    }

    public override Task RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
    {
        if (waiting.TryGetValue(connectionId, out var connection) && connection.StopWaiting(groupName))
        {
            return Task.CompletedTask;
        }

        return backplane.RemoveFromGroupAsync(connectionId, groupName, cancellationToken);
    }

    /// <summary>
    /// Joins the groups that connections opened during an outage asked for, once Redis is back. Returns how many
    /// connections were opened during the outage (for the log).
    /// </summary>
    public async Task<int> JoinWaitingAsync()
    {
        // Redis's two links come back one after the other, each with its own resync: the one after the subscription
        // link's return joins. Joining before it would fail, and close the connections it was meant to keep.
        if (!await CanSubscribeAsync())
        {
            return 0;
        }

        foreach (var connectionId in waiting.Keys)
        {
            await JoinAsync(connectionId);
        }

        return Interlocked.Exchange(ref openedDuringOutage, 0);
    }

    private async Task<bool> CanSubscribeAsync() => (await redis.GetAsync()).GetSubscriber().IsConnected();

    private async Task JoinAsync(string connectionId)
    {
        // Whoever removes it joins it: the resync and a late AddToGroupAsync may race.
        if (!waiting.TryRemove(connectionId, out var connection) || connection.Context.ConnectionAborted.IsCancellationRequested)
        {
            return;
        }

        try
        {
            foreach (var group in connection.StopWaitingForAll())
            {
                await backplane.AddToGroupAsync(connectionId, group);
            }
        }
        catch (RedisException)
        {
            // Redis went again: the client reconnects, drains, and joins with its new connection.
            connection.Context.Abort();
        }
    }

    public override Task SendAllAsync(string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        backplane.SendAllAsync(methodName, args, cancellationToken);

    public override Task SendAllExceptAsync(string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        backplane.SendAllExceptAsync(methodName, args, excludedConnectionIds, cancellationToken);

    public override Task SendConnectionAsync(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        backplane.SendConnectionAsync(connectionId, methodName, args, cancellationToken);

    public override Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        backplane.SendConnectionsAsync(connectionIds, methodName, args, cancellationToken);

    public override Task SendGroupAsync(string groupName, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        backplane.SendGroupAsync(groupName, methodName, args, cancellationToken);

    public override Task SendGroupsAsync(IReadOnlyList<string> groupNames, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        backplane.SendGroupsAsync(groupNames, methodName, args, cancellationToken);

    public override Task SendGroupExceptAsync(string groupName, string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        backplane.SendGroupExceptAsync(groupName, methodName, args, excludedConnectionIds, cancellationToken);

    public override Task SendUserAsync(string userId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        backplane.SendUserAsync(userId, methodName, args, cancellationToken);

    public override Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        backplane.SendUsersAsync(userIds, methodName, args, cancellationToken);

    public override Task<T> InvokeConnectionAsync<T>(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken) =>
        backplane.InvokeConnectionAsync<T>(connectionId, methodName, args, cancellationToken);

    public override Task SetConnectionResultAsync(string connectionId, CompletionMessage result) =>
        backplane.SetConnectionResultAsync(connectionId, result);

    public override bool TryGetReturnType(string invocationId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Type? type) =>
        backplane.TryGetReturnType(invocationId, out type);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unreachable: hub connections opened now are served by this node alone until it is back")]
    private static partial void LogServedAlone(ILogger logger);

    /// <summary>The groups a connection asked for while it waits; once they are joined, it takes no more.</summary>
    private sealed class WaitingConnection(HubConnectionContext context)
    {
        private readonly HashSet<string> groups = [];
        private bool joined;

        public HubConnectionContext Context => context;

        /// <summary>False once the connection's groups are being joined: the caller joins this one itself.</summary>
        public bool Wait(string group)
        {
            lock (groups)
            {
                if (joined)
                {
                    return false;
                }

                groups.Add(group);
                return true;
            }
        }

        public bool StopWaiting(string group)
        {
            lock (groups)
            {
                return !joined && groups.Remove(group);
            }
        }

        public string[] StopWaitingForAll()
        {
            lock (groups)
            {
                joined = true;
                return [.. groups];
            }
        }
    }
}
