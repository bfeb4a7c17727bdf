using System.Threading.RateLimiting;
using StackExchange.Redis;

namespace Messaging.Server.Hosting;

/// <summary>
/// One caller's bucket of one policy, kept in Redis by <see cref="SharedBuckets"/>, with the node's own bucket beside it
/// for when Redis does not answer.
/// </summary>
/// <remarks>
/// Asking Redis takes a round trip, so the synchronous attempt always fails without taking anything: ASP.NET Core's
/// rate-limiting middleware then asks <see cref="AcquireAsyncCore"/>, which does the work. Replenishing (the node's bucket
/// only) is left to the partitioned limiter's timer, like its own token buckets.
/// </remarks>
internal sealed class SharedTokenBucket(SharedBuckets buckets, RedisKey name, int perMinute) : ReplenishingRateLimiter
{
    private readonly TokenBucketRateLimiter local = new(RateLimits.BucketOptions(perMinute, autoReplenishment: false));
    private long lastUsed = TimeProvider.System.GetTimestamp();

    /// <summary>Idle once the node's own bucket is full and nobody asked for a while: the shared one lives in Redis.</summary>
    public override TimeSpan? IdleDuration =>
        local.IdleDuration is null ? null : TimeProvider.System.GetElapsedTime(Interlocked.Read(ref lastUsed));

    public override bool IsAutoReplenishing => false;

    public override TimeSpan ReplenishmentPeriod => local.ReplenishmentPeriod;

    public override bool TryReplenish() => local.TryReplenish();

    public override RateLimiterStatistics? GetStatistics() => local.GetStatistics();

    protected override RateLimitLease AttemptAcquireCore(int permitCount) => SharedLease.NotYet;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref lastUsed, TimeProvider.System.GetTimestamp());
        if (permitCount != 1)
        {
            return local.AttemptAcquire(permitCount); // the middleware asks for one; anything else stays on this node
        }

        return await buckets.TryTakeAsync(name, perMinute, cancellationToken) switch
        {
            null => local.AttemptAcquire(1),
            { } wait when wait == TimeSpan.Zero => SharedLease.Taken,
            { } wait => SharedLease.Refused(wait),
        };
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            local.Dispose();
        }

        base.Dispose(disposing);
    }

    private sealed class SharedLease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly SharedLease Taken = new(true, null);

        public static readonly SharedLease NotYet = new(false, null);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public static SharedLease Refused(TimeSpan retryAfter) => new(false, retryAfter);

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter;
            return retryAfter is not null && metadataName == MetadataName.RetryAfter.Name;
        }
    }
}
