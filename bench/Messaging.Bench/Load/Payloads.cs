using System.Security.Cryptography;

namespace Messaging.Bench.Load;

/// <summary>
/// Envelopes of realistic sizes (uniform between the given bounds) filled with random bytes, as ciphertext looks,
/// stamped with their send time. The random filler is made once; each envelope copies a slice of it.
/// </summary>
internal sealed class Payloads(int minSize, int maxSize)
{
    private readonly byte[] filler = RandomNumberGenerator.GetBytes(maxSize);

    public byte[] Create(int draw, long sendTimestamp)
    {
        var size = minSize + (int)((uint)draw % (uint)(maxSize - minSize + 1));
        var payload = new byte[size];
        filler.AsSpan(0, size).CopyTo(payload);
        Recorder.Stamp(payload, sendTimestamp);
        return payload;
    }
}

/// <summary>A small deterministic generator (xorshift32) for envelope sizes: each sender gets its own sequence.</summary>
internal struct SizeDraws(uint seed)
{
    private uint state = seed | 1;

    public int Next()
    {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        return (int)(state & 0x7fff_ffff);
    }
}
