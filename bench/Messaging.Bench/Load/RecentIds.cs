namespace Messaging.Bench.Load;

/// <summary>
/// The last ids seen, in a ring that overwrites the oldest: a few nanoseconds per copy received, so that a phase ending
/// with a copy left can say whether that copy had arrived (and how often) without keeping every id of the run.
/// </summary>
internal sealed class RecentIds(int capacity)
{
    private readonly Guid[] ring = new Guid[capacity];
    private long next;

    public int Capacity => ring.Length;

    public void Add(Guid id) => ring[(int)((Interlocked.Increment(ref next) - 1) % ring.Length)] = id;

    /// <summary>How many times <paramref name="id"/> is in the ring (read once the load has stopped).</summary>
    public int Count(Guid id) => ring.Count(kept => kept == id);
}
