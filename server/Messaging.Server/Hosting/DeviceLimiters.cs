using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Hosting;

/// <summary>
/// A token bucket per device for what devices do over the hub: the hub is one long-lived request, so the HTTP rate
/// limiter does not see its calls. Buckets live in this node's memory (docs/scaling.md).
/// </summary>
internal abstract class DeviceLimiter(Func<int> perMinute) : IDisposable
{
    private readonly PartitionedRateLimiter<Guid> limiter = PartitionedRateLimiter.Create<Guid, Guid>(
        device => RateLimitPartition.GetTokenBucketLimiter(device, _ => RateLimits.BucketOptions(perMinute())));

    /// <summary>Takes one token; false if the device's bucket is empty.</summary>
    public bool TryAcquire(Guid deviceId)
    {
        using var lease = limiter.AttemptAcquire(deviceId);
        return lease.IsAcquired;
    }

    /// <summary>Whether the device's bucket holds a whole token, without taking it.</summary>
    /// <remarks>
    /// Not <c>AttemptAcquire(deviceId, 0)</c>: a partitioned token bucket refills a fraction of a token every 100 ms,
    /// and a zero-permit lease is granted as soon as any fraction is there, so an emptied bucket said yes again within
    /// a tenth of a second, whatever its rate.
    /// </remarks>
    public bool HasTokens(Guid deviceId) => limiter.GetStatistics(deviceId)?.CurrentAvailablePermits >= 1;

    /// <summary>Takes up to <paramref name="count"/> tokens: what the bucket holds if it holds fewer.</summary>
    public void Take(Guid deviceId, int count)
    {
        if (count <= 0)
        {
            return; // the common case: every acknowledged copy was waiting
        }

        var available = limiter.GetStatistics(deviceId)?.CurrentAvailablePermits ?? 0;
        var taken = (int)Math.Min(count, available);
        if (taken > 0)
        {
            using var lease = limiter.AttemptAcquire(deviceId, taken);
        }
    }

    public void Dispose() => limiter.Dispose();
}

/// <summary>Hub sends per device. A refused send is answered with the <c>rate-limited</c> hub error and audited.</summary>
internal sealed class SendLimiter(IOptions<RateLimitOptions> options) : DeviceLimiter(() => options.Value.SendsPerMinute);

/// <summary>
/// Acknowledgements per device that matched no waiting copy: each such delivery takes a token after the fact, and
/// while the bucket is empty an acknowledgement is refused before it touches the store (<c>rate-limited</c>,
/// audited). Copies that were waiting take nothing.
/// </summary>
internal sealed class AcknowledgementLimiter(IOptions<RateLimitOptions> options)
    : DeviceLimiter(() => options.Value.UnmatchedAcknowledgementsPerMinute);
