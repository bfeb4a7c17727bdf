using System.Diagnostics;
using Messaging.Server.Hosting;
using Messaging.Testing;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Tests.Hosting;

/// <summary>
/// The per-device token buckets of the hub. An emptied bucket must stay empty until a whole token has come back:
/// the unmatched-acknowledgement budget is refused on <see cref="DeviceLimiter.HasTokens"/>, and a bucket that said
/// yes on a fraction of a token would let a device go on at full speed.
/// </summary>
public sealed class DeviceLimitersTests
{
    [Fact]
    public void HasTokens_ANewDevice_HasItsWholeBucket()
    {
        using var limiter = Limiter(perMinute: 2);

        Assert.True(limiter.HasTokens(Guid.NewGuid()));
    }

    [Fact]
    public async Task HasTokens_OnceTheBucketIsSpent_IsFalseUntilAWholeTokenHasComeBack()
    {
        // 60 a minute: one token a second, refilled by the limiter's heartbeat (every 100 ms) a tenth at a time.
        using var limiter = Limiter(perMinute: 60);
        var device = Guid.NewGuid();
        var other = Guid.NewGuid();

        limiter.Take(device, 60);
        var spent = Stopwatch.StartNew();
        Assert.False(limiter.HasTokens(device));
        Assert.True(limiter.HasTokens(other));

        await Eventually.WaitAsync(() => limiter.HasTokens(device), "a token to come back", TimeSpan.FromSeconds(10));

        // A whole token takes a second to come back; the limiter's heartbeat may run up to 100 ms before the clock here
        // started. Before the fix it said yes at the first heartbeat, within 100 ms.
        Assert.True(spent.Elapsed >= TimeSpan.FromMilliseconds(850), $"the bucket said yes again after {spent.Elapsed.TotalMilliseconds:N0} ms");
        limiter.Take(device, 1);
        Assert.False(limiter.HasTokens(device));
    }

    [Fact]
    public void Take_MoreThanTheBucketHolds_TakesWhatItHoldsAndNoMore()
    {
        using var limiter = Limiter(perMinute: 3);
        var device = Guid.NewGuid();

        limiter.Take(device, 5);

        Assert.False(limiter.HasTokens(device));
        Assert.False(limiter.TryAcquire(device));
    }

    private static AcknowledgementLimiter Limiter(int perMinute) =>
        new(Options.Create(new RateLimitOptions { UnmatchedAcknowledgementsPerMinute = perMinute }));
}
