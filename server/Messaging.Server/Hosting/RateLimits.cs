using System.Globalization;
using System.Threading.RateLimiting;
using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Audit;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Hosting;

/// <summary>
/// Every named rate-limit policy and its bucket, in one place (ASP.NET Core's rate limiter). Buckets are keyed per
/// device and kept in memory by each node, so with several nodes behind a balancer a device gets each node's budget.
/// A refusal is answered 429 with the <c>rate-limited</c> code and a Retry-After header, and is audited.
/// </summary>
internal static class RateLimits
{
    public const string Section = "Messaging:RateLimits";

    /// <summary>Prekey bundle fetches (each consumes one-time prekeys of other devices): per calling device.</summary>
    public const string BundleFetches = "bundle-fetches";

    public static IServiceCollection AddRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(Section)
            .Validate(o => o.BundleFetchesPerMinute > 0, $"{Section}:{nameof(RateLimitOptions.BundleFetchesPerMinute)} must be positive.")
            .ValidateOnStart();
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = RejectAsync;
            options.AddPolicy(BundleFetches, context => PerDevice(context, Limits(context).BundleFetchesPerMinute));
        });
        return services;
    }

    /// <summary>After authentication and authorization: buckets are keyed by the caller, and refused callers use none.</summary>
    public static WebApplication UseRateLimits(this WebApplication app)
    {
        app.UseRateLimiter();
        return app;
    }

    private static RateLimitOptions Limits(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;

    /// <summary>A bucket of <paramref name="perMinute"/> tokens per device, refilled one token at a time over a minute.</summary>
    private static RateLimitPartition<string> PerDevice(HttpContext context, int perMinute)
    {
        var caller = Caller.TryFrom(context.User);
        var key = caller?.DeviceId is { } device ? $"device:{device:N}" : $"account:{caller?.AccountId:N}";
        return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perMinute,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1) / perMinute,
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var caller = Caller.TryFrom(context.User);
        await context.RequestServices.GetRequiredService<AuditTrail>().DeniedAsync(
            "http.request", caller?.AccountId, caller?.DeviceId, $"{context.Request.Method} {context.Request.Path}", ErrorCodes.RateLimited, cancellationToken);
        if (rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
        {
            context.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        }

        await Problems.Http(ErrorCodes.RateLimited, StatusCodes.Status429TooManyRequests, "Too many requests: retry later.").ExecuteAsync(context);
    }
}

/// <summary>The <c>Messaging:RateLimits</c> configuration section.</summary>
internal sealed class RateLimitOptions
{
    /// <summary>Prekey bundle fetches per calling device per minute (a burst of this many, then one more per 1/N minute).</summary>
    public int BundleFetchesPerMinute { get; set; } = 60;
}
