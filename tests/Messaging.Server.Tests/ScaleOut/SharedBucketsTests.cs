using Messaging.Server.Hosting;
using Messaging.Testing;
using StackExchange.Redis;

namespace Messaging.Server.Tests.ScaleOut;

/// <summary>
/// The shared token bucket's arithmetic, on a real Redis through an in-process node: a full bucket's burst, then one
/// token per interval; no token taken twice by requests at once; separate buckets per policy and per caller; no answer
/// while Redis is down. The two-node behaviour is <see cref="SharedRateLimitTests"/>.
/// </summary>
public sealed class SharedBucketsTests : IAsyncLifetime
{
    private const int PerMinute = 60; // one token a second
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private RedisServer redis = null!;
    private TestServer server = null!;
    private SharedBuckets buckets = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        redis = await RedisServer.StartAsync();
        server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Messaging:Redis:ConnectionString"] = redis.ConnectionString });
        buckets = server.Get<SharedBuckets>();
    }

    public async ValueTask DisposeAsync()
    {
        await server.DisposeAsync();
        await redis.DisposeAsync();
    }

    [Fact]
    public async Task FullBucket_GivesItsSizeAtOnce_ThenOneTokenPerInterval()
    {
        var bucket = buckets.BucketName(RateLimits.SignIn, "sign-in:203.0.113.9");
        var started = TimeProvider.System.GetTimestamp();
        var taken = await EmptyAsync(bucket);

        // The bucket's size, plus at most what refilled while it was being emptied.
        var refilled = (int)(TimeProvider.System.GetElapsedTime(started) / Interval);
        Assert.InRange(taken, PerMinute, PerMinute + refilled + 1);
        var wait = await buckets.TryTakeAsync(bucket, PerMinute, Ct);
        Assert.NotNull(wait);
        Assert.InRange(wait!.Value, TimeSpan.FromTicks(1), Interval);

        // A token comes back within an interval, and one only: the next is refused again.
        await Eventually.WaitAsync(async () => await buckets.TryTakeAsync(bucket, PerMinute, Ct) == TimeSpan.Zero, "a token to refill");
        Assert.True(await buckets.TryTakeAsync(bucket, PerMinute, Ct) > TimeSpan.Zero);
    }

    [Fact]
    public async Task ManyAtOnce_TakeNoMoreThanTheBucketHolds()
    {
        // Nodes ask at the same moment: the script reads and moves the bucket in one step, so no token is taken twice.
        var bucket = buckets.BucketName(RateLimits.SignIn, "sign-in:203.0.113.11");
        var started = TimeProvider.System.GetTimestamp();
        var answers = await Task.WhenAll(Enumerable.Range(0, 4 * PerMinute).Select(_ => buckets.TryTakeAsync(bucket, PerMinute, Ct).AsTask()));

        var refilled = (int)(TimeProvider.System.GetElapsedTime(started) / Interval);
        Assert.All(answers, answer => Assert.NotNull(answer));
        Assert.InRange(answers.Count(answer => answer == TimeSpan.Zero), PerMinute, PerMinute + refilled + 1);
    }

    [Fact]
    public async Task EmptyBucket_LeavesOtherCallersAndOtherPoliciesTheirOwn()
    {
        await EmptyAsync(buckets.BucketName(RateLimits.SignIn, "sign-in:203.0.113.9"));

        Assert.Equal(TimeSpan.Zero, await buckets.TryTakeAsync(buckets.BucketName(RateLimits.SignIn, "sign-in:203.0.113.10"), PerMinute, Ct));
        Assert.Equal(TimeSpan.Zero, await buckets.TryTakeAsync(buckets.BucketName(RateLimits.PasswordReset, "sign-in:203.0.113.9"), PerMinute, Ct));
    }

    [Fact]
    public async Task RedisDown_AnswersNothingAtOnce()
    {
        await redis.KillAsync();

        var started = TimeProvider.System.GetTimestamp();
        Assert.Null(await buckets.TryTakeAsync(buckets.BucketName(RateLimits.SignIn, "sign-in:203.0.113.9"), PerMinute, Ct));

        // Not a speed measurement: a sign-in must not wait for StackExchange.Redis's 5-second timeout.
        Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(4));
    }

    /// <summary>Takes tokens until the bucket refuses one; how many it gave.</summary>
    private async Task<int> EmptyAsync(RedisKey bucket)
    {
        var taken = 0;
        while (await buckets.TryTakeAsync(bucket, PerMinute, Ct) == TimeSpan.Zero)
        {
            taken++;
            Assert.True(taken <= 10 * PerMinute, "the bucket never ran out");
        }

        return taken;
    }
}
