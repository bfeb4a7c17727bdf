using System.Buffers.Binary;
using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Sessions;

internal enum EnvelopeType : byte
{
    Prekey = 0x01,
    Message = 0x02,
}

/// <summary>
/// A parsed envelope (docs/protocol.md §5.1):
/// <c>0x01 || type || [prekey header] || DHs.pub (32) || u32(PN) || u32(N) || AEAD ciphertext</c>.
/// Lengths are checked exactly: the ciphertext is a whole number of 64-byte blocks plus the 16-byte tag.
/// </summary>
internal sealed class Envelope
{
    public const byte Version = 0x01;
    public const int RatchetHeaderLength = Sizes.X25519Key + 4 + 4;
    public const int MinimumCiphertext = Plaintext.Block + Sizes.AeadTag;

    private readonly byte[] bytes;

    private Envelope(byte[] bytes, EnvelopeType type, PrekeyHeader? prekey, int headerLength)
    {
        this.bytes = bytes;
        Type = type;
        Prekey = prekey;
        HeaderLength = headerLength;
        var ratchet = bytes.AsSpan(headerLength - RatchetHeaderLength, RatchetHeaderLength);
        RatchetKey = ratchet[..Sizes.X25519Key].ToArray();
        PreviousCounter = BinaryPrimitives.ReadUInt32BigEndian(ratchet[Sizes.X25519Key..]);
        Counter = BinaryPrimitives.ReadUInt32BigEndian(ratchet[(Sizes.X25519Key + 4)..]);
    }

    public EnvelopeType Type { get; }

    /// <summary>The prekey header of a prekey message; null for a normal message.</summary>
    public PrekeyHeader? Prekey { get; }

    public byte[] RatchetKey { get; }

    /// <summary>PN: the number of messages in the sender's previous sending chain.</summary>
    public uint PreviousCounter { get; }

    /// <summary>N: this message's number in its chain.</summary>
    public uint Counter { get; }

    /// <summary>The number of bytes before the ciphertext.</summary>
    public int HeaderLength { get; }

    /// <summary>Every byte before the ciphertext: the second half of the associated data.</summary>
    public ReadOnlySpan<byte> Header => bytes.AsSpan(0, HeaderLength);

    public ReadOnlySpan<byte> Ciphertext => bytes.AsSpan(HeaderLength);

    public static int HeaderLengthOf(EnvelopeType type) =>
        2 + (type == EnvelopeType.Prekey ? PrekeyHeader.Length : 0) + RatchetHeaderLength;

    /// <summary>Writes <c>version || type || [prekey header] || ratchet header</c> into <paramref name="header"/>.</summary>
    public static void WriteHeader(Span<byte> header, ReadOnlySpan<byte> prekeyHeader, ReadOnlySpan<byte> ratchetKey, uint previousCounter, uint counter)
    {
        header[0] = Version;
        header[1] = (byte)(prekeyHeader.IsEmpty ? EnvelopeType.Message : EnvelopeType.Prekey);
        prekeyHeader.CopyTo(header[2..]);
        var ratchet = header[(2 + prekeyHeader.Length)..];
        ratchetKey.CopyTo(ratchet);
        BinaryPrimitives.WriteUInt32BigEndian(ratchet[Sizes.X25519Key..], previousCounter);
        BinaryPrimitives.WriteUInt32BigEndian(ratchet[(Sizes.X25519Key + 4)..], counter);
    }

    public static bool TryParse(ReadOnlySpan<byte> envelope, out Envelope? parsed)
    {
        parsed = null;
        if (envelope.Length < 2 || envelope[0] != Version || envelope[1] is not ((byte)EnvelopeType.Prekey or (byte)EnvelopeType.Message))
        {
            return false;
        }

        var type = (EnvelopeType)envelope[1];
        var headerLength = HeaderLengthOf(type);
        var ciphertextLength = envelope.Length - headerLength;
        if (ciphertextLength < MinimumCiphertext || (ciphertextLength - Sizes.AeadTag) % Plaintext.Block != 0)
        {
            return false;
        }

        PrekeyHeader? prekey = null;
        if (type == EnvelopeType.Prekey && !PrekeyHeader.TryParse(envelope.Slice(2, PrekeyHeader.Length), out prekey))
        {
            return false;
        }

        parsed = new Envelope(envelope.ToArray(), type, prekey, headerLength);
        return true;
    }
}
