using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace Messaging.Server.Features.Devices;

/// <summary>
/// The hub connections open on this node, per device, so that revoking a device can close them; with several nodes,
/// <see cref="Hosting.ClusterSignals"/> carries each abort to the others.
/// </summary>
internal sealed class DeviceConnections
{
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<string, HubCallerContext>> byDevice = new();

    public void Add(Guid deviceId, HubCallerContext context) =>
        byDevice.GetOrAdd(deviceId, _ => new()).TryAdd(context.ConnectionId, context);

    public void Remove(Guid deviceId, HubCallerContext context)
    {
        if (byDevice.TryGetValue(deviceId, out var connections))
        {
            connections.TryRemove(context.ConnectionId, out _);
        }
    }

    public bool IsConnected(Guid deviceId) => byDevice.TryGetValue(deviceId, out var connections) && !connections.IsEmpty;

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
        if (byDevice.TryRemove(deviceId, out var connections))
        {
            foreach (var context in connections.Values)
            {
                context.Abort();
            }
        }
    }
}
