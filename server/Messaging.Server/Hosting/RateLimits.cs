using System.Globalization;
using System.Threading.RateLimiting;
using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Audit;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Hosting;

/// <summary>
/// Every named rate-limit policy and its bucket, in one place (ASP.NET Core's rate limiter): per IP address before
/// sign-in, per account or per device after it. With several nodes sharing a Redis, the buckets are kept there
/// (<see cref="SharedBuckets"/>), so a caller has one budget whatever node its requests reach; without Redis, or while it
/// is unreachable, each node keeps its own (docs/scaling.md). Repeated sign-in failures also lock the account
/// itself, whatever the node (SignInService); hub sends are limited per device, on each node, by <see cref="SendLimiter"/>, acknowledgements
/// that match nothing by <see cref="AcknowledgementLimiter"/>, and hub connections open at once per device by
/// <c>HubConnectionCap</c> (<see cref="RateLimitOptions.ConnectionsPerDevice"/>).
/// A refusal is answered 429 with the <c>rate-limited</c> code and a Retry-After header, and is audited.
/// </summary>
internal static class RateLimits
{
    public const string Section = "Messaging:RateLimits";

    /// <summary>Prekey bundle fetches (each consumes one-time prekeys of other devices): per calling device.</summary>
    public const string BundleFetches = "bundle-fetches";

    /// <summary>Password sign-ins, challenges, refreshes and invitation acceptances: per client IP address.</summary>
    public const string SignIn = "sign-in";

    /// <summary>Second-factor and emailed-code checks, and code emails: per account.</summary>
    public const string CodeChecks = "code-checks";

    /// <summary>Invitations created: per account.</summary>
    public const string Invitations = "invitations";

    /// <summary>Password-reset requests and completions: per client IP address.</summary>
    public const string PasswordReset = "password-reset";

    public static IServiceCollection AddRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(Section)
            .Validate(o => o.BundleFetchesPerMinute > 0 && o.SignInsPerMinute > 0 && o.CodeChecksPerMinute > 0 && o.InvitationsPerMinute > 0
                && o.PasswordResetsPerMinute > 0 && o.SendsPerMinute > 0 && o.ConnectionsPerDevice > 0
                && o.UnmatchedAcknowledgementsPerMinute > 0, $"Every {Section} limit must be positive.")
            .ValidateOnStart();
        services.AddSingleton<SendLimiter>();
        services.AddSingleton<AcknowledgementLimiter>();
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = RejectAsync;
            options.AddPolicy(BundleFetches, context => PerCaller(context, BundleFetches, Limits(context).BundleFetchesPerMinute));
            options.AddPolicy(SignIn, context => PerAddress(context, SignIn, Limits(context).SignInsPerMinute));
            options.AddPolicy(CodeChecks, context => PerCaller(context, CodeChecks, Limits(context).CodeChecksPerMinute, byAccount: true));
            options.AddPolicy(Invitations, context => PerCaller(context, Invitations, Limits(context).InvitationsPerMinute, byAccount: true));
            options.AddPolicy(PasswordReset, context => PerAddress(context, PasswordReset, Limits(context).PasswordResetsPerMinute));
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

    /// <summary>Per device (or per account when asked, or when the token names no device).</summary>
    private static RateLimitPartition<string> PerCaller(HttpContext context, string policy, int perMinute, bool byAccount = false)
    {
        var caller = Caller.TryFrom(context.User);
        var key = !byAccount && caller?.DeviceId is { } device ? $"device:{device:N}" : $"account:{caller?.AccountId:N}";
        return Bucket(context, policy, key, perMinute);
    }

    /// <summary>Per client address, for routes reached before sign-in (behind a proxy, as <see cref="TrustedProxies"/> reads it).</summary>
    private static RateLimitPartition<string> PerAddress(HttpContext context, string policy, int perMinute) =>
        Bucket(context, policy, $"{policy}:{context.Connection.RemoteIpAddress}", perMinute);

    /// <summary>
    /// A bucket of <paramref name="perMinute"/> tokens, refilled one token at a time over a minute: in Redis when the
    /// nodes share one, in this node's memory otherwise.
    /// </summary>
    private static RateLimitPartition<string> Bucket(HttpContext context, string policy, string key, int perMinute) =>
        context.RequestServices.GetService<SharedBuckets>() is { } shared
            ? shared.Partition(policy, key, perMinute)
            : RateLimitPartition.GetTokenBucketLimiter(key, _ => BucketOptions(perMinute));

    internal static TokenBucketRateLimiterOptions BucketOptions(int perMinute, bool autoReplenishment = true) => new()
    {
        TokenLimit = perMinute,
        TokensPerPeriod = 1,
        ReplenishmentPeriod = TimeSpan.FromMinutes(1) / perMinute,
        QueueLimit = 0,
        AutoReplenishment = autoReplenishment,
    };

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var caller = Caller.TryFrom(context.User);
        await context.RequestServices.GetRequiredService<AuditTrail>().DeniedAsync(
            "http.request", caller?.AccountId, caller?.DeviceId, $"{context.Request.Method} {context.Request.Path}", ErrorCodes.RateLimited);
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

    /// <summary>Sign-in-type requests per client address per minute (a practice behind one NAT shares it: keep it generous).</summary>
    public int SignInsPerMinute { get; set; } = 120;

    /// <summary>Code checks and code emails per account per minute.</summary>
    public int CodeChecksPerMinute { get; set; } = 10;

    /// <summary>Invitations per account per minute.</summary>
    public int InvitationsPerMinute { get; set; } = 30;

    /// <summary>Password-reset requests per client address per minute.</summary>
    public int PasswordResetsPerMinute { get; set; } = 10;

    /// <summary>Hub sends per device per minute (a burst of this many).</summary>
    public int SendsPerMinute { get; set; } = 6000;

    /// <summary>
    /// Hub connections open at once per device, on each node. A device needs one (two while a reconnect races the old
    /// connection's close; a few more for browser tabs sharing one device); each connection may keep a call in
    /// flight, so the cap also bounds what one device's token can ask of the store at once.
    /// </summary>
    public int ConnectionsPerDevice { get; set; } = 10;

    /// <summary>
    /// Acknowledged deliveries per device per minute that matched no waiting copy (acknowledged already, expired, or
    /// never queued). Copies that were waiting cost nothing, so a device catching up on any backlog is never slowed;
    /// acknowledgements of nothing are still a write for the store, and past this budget they are refused.
    /// </summary>
    public int UnmatchedAcknowledgementsPerMinute { get; set; } = 6000;
}

