using System.Collections.Concurrent;
using System.Security.Claims;
using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Audit;
using Messaging.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Features.Delivery;

/// <summary>
/// Hub connections open at once per device on this node (<see cref="RateLimitOptions.ConnectionsPerDevice"/>). The
/// WebSocket request is counted for as long as the connection lasts, so one more is refused before the upgrade: HTTP
/// 429 <c>rate-limited</c>, audited, with no handshake, no read of the store and no error in the log.
/// </summary>
/// <remarks>
/// Each connection may keep a call in flight, so the cap also bounds what one device's token can ask of the store at
/// once. Entering is one atomic step, so two connections racing in cannot both take the last place. ASP.NET Core's
/// concurrency limiter would count the same, at the same memory per idle connection (both measured, docs/benchmarks.md);
/// this counter keeps the refusal the hub's own (audited as <c>hub.connect</c>) and holds connected devices only.
/// </remarks>
internal sealed class HubConnectionCap(IOptions<RateLimitOptions> limits)
{
    private readonly ConcurrentDictionary<Guid, int> open = new();

    /// <summary>Wraps the hub's endpoints: the count is taken before SignalR sees the request, and given back when it ends.</summary>
    public static void Apply(EndpointBuilder endpoint)
    {
        var hub = endpoint.RequestDelegate ?? throw new InvalidOperationException("The hub endpoint has no request delegate.");
        endpoint.RequestDelegate = context => context.RequestServices.GetRequiredService<HubConnectionCap>().RunAsync(context, hub);
    }

    /// <summary>Connections of <paramref name="deviceId"/> counted now (for tests).</summary>
    public int OpenFor(Guid deviceId) => open.TryGetValue(deviceId, out var count) ? count : 0;

    private async Task RunAsync(HttpContext context, RequestDelegate hub)
    {
        // The hub is authorized for device tokens only, before this runs; a request without one is the hub's to refuse.
        if (!Guid.TryParse(context.User.FindFirstValue(Caller.DeviceClaim), out var deviceId))
        {
            await hub(context);
            return;
        }

        if (!TryEnter(deviceId))
        {
            await context.RequestServices.GetRequiredService<AuditTrail>().DeniedAsync(
                "hub.connect", Caller.TryFrom(context.User)?.AccountId, deviceId, Routes.Hub, ErrorCodes.RateLimited);
            await Problems.Http(ErrorCodes.RateLimited, StatusCodes.Status429TooManyRequests,
                "This device holds as many hub connections as it may: close one, or retry later.").ExecuteAsync(context);
            return;
        }

        try
        {
            await hub(context);
        }
        finally
        {
            Leave(deviceId);
        }
    }

    private bool TryEnter(Guid deviceId)
    {
        while (true)
        {
            if (open.TryGetValue(deviceId, out var count))
            {
                if (count >= limits.Value.ConnectionsPerDevice)
                {
                    return false;
                }

                if (open.TryUpdate(deviceId, count + 1, count))
                {
                    return true;
                }
            }
            else if (open.TryAdd(deviceId, 1))
            {
                return true;
            }
        }
    }

    /// <summary>The device's entry goes with its last connection, so the map holds connected devices only.</summary>
    private void Leave(Guid deviceId)
    {
        while (true)
        {
            var count = open[deviceId];
            if (count == 1 ? open.TryRemove(KeyValuePair.Create(deviceId, 1)) : open.TryUpdate(deviceId, count - 1, count))
            {
                return;
            }
        }
    }
}
