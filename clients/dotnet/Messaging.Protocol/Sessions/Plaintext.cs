using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Sessions;

/// <summary>
/// The padded plaintext (docs/protocol.md §5.3): <c>kind || body || 0x80 || ZERO(k)</c> with the smallest <c>k</c>
/// that makes the length a multiple of 64. Unpadding accepts exactly that form and nothing else.
/// </summary>
internal static class Plaintext
{
    public const int Block = 64;
    public const int MessageIdLength = 16;
    private const byte Marker = 0x80;

    /// <summary>Checks the kind and, for receipts and notices, that the body is a 16-byte message id.</summary>
    public static void CheckArguments(PlaintextKind kind, ReadOnlySpan<byte> body)
    {
        if (kind is not (PlaintextKind.Content or PlaintextKind.Decrypted or PlaintextKind.CouldNotDecrypt))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), Errors.UnknownKind((int)kind));
        }

        if (kind != PlaintextKind.Content && body.Length != MessageIdLength)
        {
            throw new ArgumentException(Errors.WrongLength("message id", MessageIdLength, body.Length), nameof(body));
        }
    }

    public static int PaddedLength(int bodyLength) => checked(((1 + bodyLength) / Block) + 1) * Block;

    public static void Pad(PlaintextKind kind, ReadOnlySpan<byte> body, Span<byte> padded)
    {
        padded.Clear();
        padded[0] = (byte)kind;
        body.CopyTo(padded[1..]);
        padded[1 + body.Length] = Marker;
    }

    public static bool TryUnpad(ReadOnlySpan<byte> padded, out PlaintextKind kind, out byte[] body)
    {
        kind = default;
        body = [];
        if (padded.Length < Block || padded.Length % Block != 0)
        {
            return false;
        }

        var marker = padded.LastIndexOfAnyExcept((byte)0);
        if (marker < 1 || padded[marker] != Marker || padded.Length - marker > Block)
        {
            return false;
        }

        kind = (PlaintextKind)padded[0];
        var length = marker - 1;
        var valid = kind switch
        {
            PlaintextKind.Content => true,
            PlaintextKind.Decrypted or PlaintextKind.CouldNotDecrypt => length == MessageIdLength,
            _ => false,
        };
        if (valid)
        {
            body = padded.Slice(1, length).ToArray();
        }

        return valid;
    }

    /// <summary>Wipes a padded plaintext buffer once it is no longer needed.</summary>
    public static void Wipe(Span<byte> padded) => Crypto.Wipe(padded);
}
