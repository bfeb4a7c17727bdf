namespace Messaging.Server.Features.Audit;

/// <summary>
/// Counts rate-limited refusals so that a flood of them costs one audit row per minute, not one per request. A limit
/// is refused precisely when requests come faster than it allows, so one row per refusal would turn every flood,
/// unauthenticated sign-in floods included, into as many writes for the single store writer and as many rows on the
/// disk. Every refusal is still counted: the first of a kind is written at once, the ones after it within the minute
/// are written together as one row whose <see cref="AuditEvent.Occurrences"/> says how many
/// (<see cref="RefusalTallyFlush"/>).
/// </summary>
internal sealed class RefusalTally(TimeProvider time)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The kinds counted at once. Beyond it a refusal is written on its own, as every other denial is: memory stays
    /// bounded when a caller varies what it is refused (the path, for instance), and nothing goes uncounted.
    /// </summary>
    public const int MaxKinds = 10_000;

    private readonly Dictionary<RefusalKind, Count> counts = [];
    private readonly Lock gate = new();

    /// <summary>
    /// Counts one refusal. True when it is the first of its kind in the window and its row is to be written now;
    /// false when it is counted for the row written when the window closes.
    /// </summary>
    public bool CountIsFirst(RefusalKind kind)
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            if (counts.TryGetValue(kind, out var count))
            {
                count.Repeats++;
                return false;
            }

            if (counts.Count < MaxKinds)
            {
                counts[kind] = new Count { Since = now };
            }

            return true;
        }
    }

    /// <summary>
    /// Takes the refusals counted in windows that are over (in every window when <paramref name="all"/>), for their
    /// rows. A kind still refused keeps a new window, so a steady flood writes one row a minute.
    /// </summary>
    public IReadOnlyList<(RefusalKind Kind, int Repeats)> TakeClosedWindows(bool all)
    {
        var now = time.GetUtcNow();
        var taken = new List<(RefusalKind, int)>();
        lock (gate)
        {
            foreach (var (kind, count) in counts)
            {
                if (!all && now - count.Since < Window)
                {
                    continue;
                }

                if (count.Repeats == 0 || all)
                {
                    counts.Remove(kind); // removing the current entry while enumerating a Dictionary is allowed
                }
                else
                {
                    count.Since = now;
                }

                if (count.Repeats > 0)
                {
                    taken.Add((kind, count.Repeats));
                    count.Repeats = 0;
                }
            }
        }

        return taken;
    }

    private sealed class Count
    {
        public DateTimeOffset Since { get; set; }

        public int Repeats { get; set; }
    }
}

/// <summary>What makes two refusals the same kind: everything their audit rows hold but the time.</summary>
internal readonly record struct RefusalKind(string Action, Guid? AccountId, Guid? DeviceId, string? Target, string Reason);
