using Messaging.Contracts;
using Messaging.Server.Features.Audit;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Hosting;

/// <summary>
/// Browsers send an Origin header with the WebSocket handshake but do not enforce CORS on it, so the hub checks it
/// here: the server's own origin and the configured ones pass; any other origin is refused (and audited). Native
/// clients send no Origin and are judged by their token alone.
/// </summary>
internal sealed class OriginAllowList(RequestDelegate next, IOptions<MessagingOptions> options)
{
    private readonly HashSet<string> allowed = new(
        options.Value.AllowedOrigins.Select(o => o.TrimEnd('/')), StringComparer.OrdinalIgnoreCase);

    public async Task InvokeAsync(HttpContext context, AuditTrail audit)
    {
        if (context.Request.Path.StartsWithSegments(Routes.Hub) && context.Request.Headers.Origin is { Count: > 0 } origin)
        {
            var value = origin.ToString().TrimEnd('/');
            var own = $"{context.Request.Scheme}://{context.Request.Host}";
            if (!string.Equals(value, own, StringComparison.OrdinalIgnoreCase) && !allowed.Contains(value))
            {
                await audit.DeniedAsync("hub.connect", null, null, Routes.Hub, "origin-not-allowed");
                await Problems.Forbidden(ErrorCodes.Forbidden, "This origin may not connect.").ExecuteAsync(context);
                return;
            }
        }

        await next(context);
    }
}
