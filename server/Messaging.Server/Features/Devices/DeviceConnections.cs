using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.AspNetCore.SignalR;

namespace Messaging.Server.Features.Devices;

/// <summary>
/// The hub connections open on this node, per device, so that revoking a device can close them; with several nodes,
/// <see cref="Hosting.ClusterSignals"/> carries each abort to the others.
/// </summary>
internal sealed class DeviceConnections
{
    // A device has one connection, rarely two (a reconnect racing the old one's close): a small immutable array per
    // device costs far less than a dictionary per device, and a device without connections leaves no entry behind.
    private readonly ConcurrentDictionary<Guid, ImmutableArray<HubCallerContext>> byDevice = new();

    public void Add(Guid deviceId, HubCallerContext context) =>
        byDevice.AddOrUpdate(deviceId, static (_, added) => [added], static (_, open, added) => open.Add(added), context);

    public void Remove(Guid deviceId, HubCallerContext context)
    {
        while (byDevice.TryGetValue(deviceId, out var open))
        {
            var rest = open.Remove(context);
            var done = rest.IsEmpty
                ? byDevice.TryRemove(new KeyValuePair<Guid, ImmutableArray<HubCallerContext>>(deviceId, open))
                : rest == open || byDevice.TryUpdate(deviceId, rest, open);
            if (done)
            {
                return;
            }
        }
    }

    public bool IsConnected(Guid deviceId) => byDevice.TryGetValue(deviceId, out var open) && !open.IsEmpty;

    /// <summary>The devices with a connection open on this node, as they are at the moment of the call.</summary>
    public ICollection<Guid> Devices => byDevice.Keys;

    /// <summary>The device's connections open on this node (usually one).</summary>
    public ImmutableArray<HubCallerContext> Of(Guid deviceId) => byDevice.TryGetValue(deviceId, out var open) ? open : [];

    /// <summary>Set when other nodes must hear of aborts (Redis configured).</summary>
    public Action<Guid>? Broadcast { get; set; }

    /// <summary>Closes the device's connections on every node.</summary>
    public void Abort(Guid deviceId)
    {
        AbortLocal(deviceId);
        Broadcast?.Invoke(deviceId);
    }

    /// <summary>Closes the device's connections on this node.</summary>
    public void AbortLocal(Guid deviceId)
    {
        if (byDevice.TryRemove(deviceId, out var open))
        {
            foreach (var context in open)
            {
                context.Abort();
            }
        }
    }
}
