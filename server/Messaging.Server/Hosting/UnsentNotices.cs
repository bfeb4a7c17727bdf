using StackExchange.Redis;

namespace Messaging.Server.Hosting;

/// <summary>
/// Node-to-node notices (<see cref="ClusterSignals"/>) that could not be published while Redis was unreachable. They are
/// kept for as long as they matter and published again each time a node is back on Redis.
/// </summary>
/// <remarks>
/// Published once, when this node's connection comes back, a notice could still miss a node whose own connection comes
/// back a moment later: Redis passes a message only to the nodes subscribed at that moment. That node then announces it
/// is back (the resync request), and this node publishes what it kept once more. So a notice is kept after it was
/// published again, until <c>keptFor</c> has passed since it failed: the access token's lifetime, after which a
/// revoked device's connection ends on every node anyway (a route change matters for a shorter time still).
/// Publishing one twice does no harm: aborting a device's connections again finds none, or makes a device whose new
/// session is valid reconnect; emptying a route cache again costs one read per conversation.
/// </remarks>
internal sealed class UnsentNotices(TimeProvider time, TimeSpan keptFor)
{
    /// <summary>
    /// An outage's notices are a few: revocations, sign-outs, membership changes. Beyond this, new ones are dropped
    /// (their bounds are the ones documented in docs/scaling.md) and counted.
    /// </summary>
    public const int Capacity = 10_000;

    private readonly Lock gate = new();
    private readonly Dictionary<(RedisChannel Channel, string Value), DateTimeOffset> kept = [];
    private long dropped;

    /// <summary>Notices dropped because <see cref="Capacity"/> were already kept.</summary>
    public long Dropped => Interlocked.Read(ref dropped);

    /// <summary>Keeps a notice whose publication failed; the same notice kept twice is one notice, kept since it first failed.</summary>
    public void Keep(RedisChannel channel, string value)
    {
        lock (gate)
        {
            if (kept.ContainsKey((channel, value)))
            {
                return;
            }

            if (kept.Count >= Capacity)
            {
                Interlocked.Increment(ref dropped);
                return;
            }

            kept[(channel, value)] = time.GetUtcNow();
        }
    }

    /// <summary>The notices still worth publishing again; those kept longer than their bound are forgotten.</summary>
    public IReadOnlyList<(RedisChannel Channel, string Value)> StillRelevant()
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            foreach (var (notice, failedAt) in kept)
            {
                if (now - failedAt >= keptFor)
                {
                    kept.Remove(notice);
                }
            }

            return [.. kept.Keys];
        }
    }
}
