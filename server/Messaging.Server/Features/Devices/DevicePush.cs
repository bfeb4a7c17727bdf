using Messaging.Server.Features.Delivery;
using Microsoft.AspNetCore.SignalR;

namespace Messaging.Server.Features.Devices;

/// <summary>
/// Sends a hub message to every connection of one device. With the Redis backplane (several nodes) a device's
/// connections join a SignalR group named after it, and a group send reaches whichever node holds them. On one node the
/// device's connections are already known here (<see cref="DeviceConnections"/>), so no group is kept: a group gives
/// every idle connection a concurrent dictionary of its own and a name (with the hub's caller cache, 1.15 KB of the
/// 23 KB an idle connection held; docs/benchmarks.md).
/// </summary>
internal sealed class DevicePush(IHubContext<MessagingHub> hub, HubLifetimeManager<MessagingHub> lifetime, DeviceConnections connections)
{
    /// <summary>Whether connections must join their device's group: only when the hub's messages can cross nodes.</summary>
    public bool UsesGroups { get; } = lifetime is not DefaultHubLifetimeManager<MessagingHub>;

    public static string Group(Guid deviceId) => $"device:{deviceId:N}";

    /// <exception cref="IOException">The backplane could not take the push (Redis unreachable): only this node's connections got it.</exception>
    public Task SendAsync(Guid deviceId, string method, object argument) =>
        UsesGroups ? SendToGroupAsync(deviceId, method, argument) : SendLocalAsync(deviceId, method, argument);

    private async Task SendToGroupAsync(Guid deviceId, string method, object argument)
    {
        try
        {
            await hub.Clients.Group(Group(deviceId)).SendAsync(method, argument);
        }
        catch (StackExchange.Redis.RedisException e)
        {
            // Redis refused it, so no node got it: this node's connections of the device at least get it now (also those
            // opened during the outage, which have not joined the group yet). Callers handle what is still lost one way,
            // whatever the transport: the copy waits in the store, and the others get it once Redis is back.
            await SendLocalAsync(deviceId, method, argument);
            throw new IOException("The backplane could not take the push; only this node's connections got it.", e);
        }
    }

    /// <summary>To the device's connections on this node only, never through the backplane.</summary>
    public Task SendLocalAsync(Guid deviceId, string method, object argument)
    {
        var open = connections.Of(deviceId);
        return open.Length switch
        {
            0 => Task.CompletedTask,
            1 => hub.Clients.Client(open[0].ConnectionId).SendAsync(method, argument),
            // One by one with the backplane: SignalR's Redis manager writes to a single connection of its node directly,
            // but publishes a send to several on Redis even when all of them are here (and fails while Redis is down).
            _ when UsesGroups => Task.WhenAll(open.Select(c => hub.Clients.Client(c.ConnectionId).SendAsync(method, argument))),
            _ => hub.Clients.Clients([.. open.Select(c => c.ConnectionId)]).SendAsync(method, argument),
        };
    }
}
