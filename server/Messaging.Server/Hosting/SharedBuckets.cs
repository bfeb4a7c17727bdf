using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using StackExchange.Redis;

namespace Messaging.Server.Hosting;

/// <summary>
/// The HTTP rate-limit buckets of <see cref="RateLimits"/> kept in Redis when the nodes share one
/// (<c>Messaging:Redis:ConnectionString</c>), so that a caller has one budget across every node, not one per node
/// behind a balancer that spreads its requests. Each bucket is a token bucket of the same shape as a node's own
/// (<see cref="RateLimits.BucketOptions"/>), kept as one timestamp (the generic cell rate algorithm) and updated by one
/// script, on Redis's clock, so the nodes' clocks do not matter.
/// </summary>
/// <remarks>
/// While Redis does not answer, each node counts on its own again, with the buckets it had before the shared ones:
/// a sign-in is not refused because Redis is down, and an outage gives a caller at most one bucket per node, as before.
/// The bucket's name in Redis is a keyed hash of what it counts (a client address, an account, a device), so Redis holds
/// no address; a key lives only until its bucket would be full again.
/// </remarks>
internal sealed partial class SharedBuckets(RedisConnection redis, ServerKeys keys, ILogger<SharedBuckets> logger)
{
    /// <summary>A sign-in waits this long at most for Redis before its node counts it alone.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    // KEYS[1]: the bucket. ARGV[1]: microseconds per token; ARGV[2]: the bucket's size. The key holds the time at which the
    // bucket would be full again; a request may take a token while that time is less than a whole bucket ahead of now.
    // Returns 0 when a token was taken, or else the microseconds until one is there. Microseconds since 1970 fit a
    // double exactly, and are written with %d so that Lua does not round them to 14 digits.
    private static readonly string Script = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
        local interval = tonumber(ARGV[1])
        local full_at = tonumber(redis.call('GET', KEYS[1]) or now)
        if full_at < now then full_at = now end
        local next = full_at + interval
        local wait = next - now - interval * tonumber(ARGV[2])
        if wait > 0 then return wait end
        redis.call('SET', KEYS[1], string.format('%d', next), 'PX', math.ceil((next - now) / 1000))
        return 0
        """;

    private readonly byte[] nameKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, keys.BlindIndexKey, 32, info: "messaging-rate-limit-v1"u8.ToArray());
    private int unreachable;

    /// <summary>The bucket of <paramref name="key"/> under <paramref name="policy"/>, shared by the nodes.</summary>
    public RateLimitPartition<string> Partition(string policy, string key, int perMinute) =>
        RateLimitPartition.Get(key, _ => new SharedTokenBucket(this, BucketName(policy, key), perMinute));

    /// <summary>
    /// Takes a token from the shared bucket: <see cref="TimeSpan.Zero"/> when taken, the time until the next one when
    /// the bucket is empty, or null when Redis did not answer (the caller's node then decides alone).
    /// </summary>
    public async ValueTask<TimeSpan?> TryTakeAsync(RedisKey bucket, int perMinute, CancellationToken cancellationToken)
    {
        try
        {
            var database = (await redis.GetAsync()).GetDatabase();
            var interval = 60_000_000L / perMinute;
            var wait = (long)await database.ScriptEvaluateAsync(Script, [bucket], [interval, perMinute])
                .WaitAsync(Timeout, cancellationToken);
            if (Interlocked.Exchange(ref unreachable, 0) == 1)
            {
                LogShared();
            }

            return TimeSpan.FromMicroseconds(wait);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            if (Interlocked.Exchange(ref unreachable, 1) == 0)
            {
                LogCountedAlone(exception.GetType().Name);
            }

            return null;
        }
    }

    /// <summary>The bucket's name in Redis: a keyed hash of the policy and what it counts.</summary>
    internal RedisKey BucketName(string policy, string key)
    {
        var hash = HMACSHA256.HashData(nameKey, Encoding.UTF8.GetBytes($"{policy}\n{key}"));
        return new RedisKey($"{ScaleOut.ChannelPrefix}:rate:{Convert.ToHexStringLower(hash, 0, 16)}");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis did not answer for a rate-limit bucket ({ExceptionType}): each node counts rate limits alone until it does")]
    private partial void LogCountedAlone(string exceptionType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis answers again: rate limits are counted across the nodes")]
    private partial void LogShared();
}
