using Messaging.Protocol.Keys;
using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Sessions;

/// <summary>
/// Message keys of skipped messages, keyed by (ratchet public key, N), oldest first (docs/protocol.md §5):
/// at most <see cref="MaxKeys"/> are kept, the oldest dropped first, and none older than <see cref="Lifetime"/>.
/// </summary>
internal sealed class SkippedKeys : IDisposable
{
    public const int MaxKeys = 2000;
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(30);

    private readonly List<Entry> entries = [];

    public int Count => entries.Count;

    /// <summary>Stores a skipped message key; this takes ownership of <paramref name="messageKey"/>.</summary>
    public void Add(byte[] ratchetKey, uint counter, SecretBytes messageKey, DateTimeOffset storedAt) =>
        entries.Add(new Entry(ratchetKey, counter, messageKey, storedAt));

    /// <summary>Removes and returns the key for (<paramref name="ratchetKey"/>, <paramref name="counter"/>), if stored.</summary>
    public SecretBytes? Take(ReadOnlySpan<byte> ratchetKey, uint counter)
    {
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i].Counter == counter && entries[i].RatchetKey.AsSpan().SequenceEqual(ratchetKey))
            {
                var key = entries[i].MessageKey;
                entries.RemoveAt(i);
                return key;
            }
        }

        return null;
    }

    /// <summary>Drops the keys older than <see cref="Lifetime"/> at <paramref name="now"/>, then the oldest beyond <see cref="MaxKeys"/>.</summary>
    public void Prune(DateTimeOffset now)
    {
        var expired = entries.FindAll(e => now - e.StoredAt > Lifetime);
        foreach (var entry in expired)
        {
            entry.MessageKey.Dispose();
        }

        entries.RemoveAll(e => now - e.StoredAt > Lifetime);
        var excess = entries.Count - MaxKeys;
        if (excess > 0)
        {
            foreach (var entry in entries.Take(excess))
            {
                entry.MessageKey.Dispose();
            }

            entries.RemoveRange(0, excess);
        }
    }

    public SkippedKeys Clone()
    {
        var clone = new SkippedKeys();
        clone.entries.AddRange(entries.Select(e => e with { MessageKey = e.MessageKey.Clone() }));
        return clone;
    }

    public IReadOnlyList<SkippedKeyState> Export() =>
        [.. entries.Select(e => new SkippedKeyState(e.RatchetKey.ToArray(), e.Counter, e.MessageKey.Export(), e.StoredAt))];

    public static SkippedKeys Restore(IReadOnlyList<SkippedKeyState> states)
    {
        var keys = new SkippedKeys();
        foreach (var state in states)
        {
            if (state.RatchetKey?.Length != Sizes.X25519Key || state.MessageKey?.Length != RatchetKdf.KeyLength)
            {
                keys.Dispose();
                throw new FormatException(Errors.Malformed("skipped message key"));
            }

            keys.Add(state.RatchetKey.ToArray(), state.Counter, SecretBytes.CopyOf(state.MessageKey), state.StoredAt);
        }

        return keys;
    }

    public void Dispose()
    {
        foreach (var entry in entries)
        {
            entry.MessageKey.Dispose();
        }

        entries.Clear();
    }

    private sealed record Entry(byte[] RatchetKey, uint Counter, SecretBytes MessageKey, DateTimeOffset StoredAt);
}
