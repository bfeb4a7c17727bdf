using System.Buffers.Binary;
using System.Globalization;
using Messaging.Protocol.Keys;
using Messaging.Protocol.Primitives;

namespace Messaging.Protocol;

/// <summary>
/// Safety numbers (docs/protocol.md §6): what two users compare, aloud or by scanning a QR code, to know that the
/// device they talk to holds the identity they think. Any change of either device's identity or id changes the number.
/// </summary>
public static class SafetyNumbers
{
    /// <summary>The <c>u16</c> version that starts the first hash's input.</summary>
    public const ushort FingerprintVersion = 0;

    /// <summary>Hashes after the first one: <c>fp = SHA512(fp || IKs.pub)</c>, this many times.</summary>
    public const int Iterations = 5199;

    public const int FingerprintDigits = 30;
    public const int SafetyNumberDigits = 2 * FingerprintDigits;
    public const int GroupDigits = 5;

    /// <summary>The bytes of one device's fingerprint hash that go into the QR payload.</summary>
    public const int ScanLength = 32;

    public const byte QrVersion = 0x01;
    public const int QrPayloadLength = 1 + (2 * ScanLength);

    private const int DeviceIdLength = 16;
    private const int DigitBytes = 5;

    /// <summary>One device's fingerprint, from its identity and its device id (RFC 9562 byte order).</summary>
    public static DeviceFingerprint Fingerprint(DeviceIdentity identity, Guid deviceId)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var signingKey = identity.SigningKey;

        // §6: fp = SHA512(u16(0) || IKs.pub || IKd.pub || deviceId (16)).
        Span<byte> first = stackalloc byte[2 + Sizes.Ed25519PublicKey + Sizes.X25519Key + DeviceIdLength];
        BinaryPrimitives.WriteUInt16BigEndian(first, FingerprintVersion);
        signingKey.CopyTo(first[2..]);
        identity.AgreementKey.CopyTo(first[(2 + Sizes.Ed25519PublicKey)..]);
        if (!deviceId.TryWriteBytes(first[(2 + Sizes.Ed25519PublicKey + Sizes.X25519Key)..], bigEndian: true, out _))
        {
            throw new InvalidOperationException(Errors.Malformed("device id"));
        }

        // Then 5199 times fp = SHA512(fp || IKs.pub): the buffer holds fp followed by IKs.pub.
        Span<byte> chained = stackalloc byte[Sizes.Sha512 + Sizes.Ed25519PublicKey];
        var fp = chained[..Sizes.Sha512];
        signingKey.CopyTo(chained[Sizes.Sha512..]);
        Crypto.Sha512(first, fp);
        Span<byte> next = stackalloc byte[Sizes.Sha512];
        for (var i = 0; i < Iterations; i++)
        {
            Crypto.Sha512(chained, next);
            next.CopyTo(fp);
        }

        // The first 30 bytes, six groups of 5 bytes, each a big-endian integer modulo 100000: 5 digits.
        var digits = new char[FingerprintDigits];
        for (var group = 0; group < FingerprintDigits / GroupDigits; group++)
        {
            var chunk = fp.Slice(group * DigitBytes, DigitBytes);
            ulong value = 0;
            foreach (var b in chunk)
            {
                value = (value << 8) | b;
            }

            var written = (value % 100_000).TryFormat(digits.AsSpan(group * GroupDigits), out _, "D5", CultureInfo.InvariantCulture);
            if (!written)
            {
                throw new InvalidOperationException(Errors.Malformed("fingerprint"));
            }
        }

        return new DeviceFingerprint(new string(digits), fp[..ScanLength].ToArray());
    }

    /// <summary>The safety number of two devices; the same whichever of them is passed first.</summary>
    public static SafetyNumber Between(DeviceFingerprint a, DeviceFingerprint b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);

        // "The smaller first (as strings)"; equal digits (the same device twice) fall back to the hash bytes, so that
        // both sides still agree on the order.
        var order = string.CompareOrdinal(a.Digits, b.Digits);
        if (order == 0)
        {
            order = a.ScanBytes.SequenceCompareTo(b.ScanBytes);
        }

        var (first, second) = order <= 0 ? (a, b) : (b, a);
        var payload = new byte[QrPayloadLength];
        payload[0] = QrVersion;
        first.ScanBytes.CopyTo(payload.AsSpan(1));
        second.ScanBytes.CopyTo(payload.AsSpan(1 + ScanLength));
        return new SafetyNumber(first.Digits + second.Digits, payload);
    }

    /// <summary>The safety number of two devices given by identity and device id.</summary>
    public static SafetyNumber Between(DeviceIdentity a, Guid aDeviceId, DeviceIdentity b, Guid bDeviceId) =>
        Between(Fingerprint(a, aDeviceId), Fingerprint(b, bDeviceId));
}

/// <summary>One device's half of a safety number (docs/protocol.md §6). Public information.</summary>
public sealed class DeviceFingerprint
{
    private readonly byte[] scanBytes;

    internal DeviceFingerprint(string digits, byte[] scanBytes)
    {
        Digits = digits;
        this.scanBytes = scanBytes;
    }

    /// <summary>30 decimal digits.</summary>
    public string Digits { get; }

    /// <summary>The first 32 bytes of the fingerprint hash, this device's half of the QR payload.</summary>
    public ReadOnlySpan<byte> ScanBytes => scanBytes;

    public override string ToString() => Digits;
}

/// <summary>The safety number of two devices (docs/protocol.md §6): 60 digits, shown as 12 groups of 5, and a QR payload.</summary>
public sealed class SafetyNumber
{
    private readonly byte[] qrPayload;

    internal SafetyNumber(string digits, byte[] qrPayload)
    {
        Digits = digits;
        this.qrPayload = qrPayload;
        var groups = new string[SafetyNumbers.SafetyNumberDigits / SafetyNumbers.GroupDigits];
        for (var i = 0; i < groups.Length; i++)
        {
            groups[i] = digits.Substring(i * SafetyNumbers.GroupDigits, SafetyNumbers.GroupDigits);
        }

        Groups = groups;
    }

    /// <summary>The 60 digits without separators, the smaller device fingerprint first.</summary>
    public string Digits { get; }

    /// <summary>The 12 groups of 5 digits, in order.</summary>
    public IReadOnlyList<string> Groups { get; }

    /// <summary>The 12 groups separated by single spaces, as shown to the user.</summary>
    public string Display => string.Join(' ', Groups);

    /// <summary><c>0x01 || fp[0..32) || fp[0..32)</c> of the two devices, in the order of <see cref="Digits"/>.</summary>
    public ReadOnlySpan<byte> QrPayload => qrPayload;

    /// <summary>
    /// Whether a scanned QR payload is this safety number's, compared in constant time. False for any other length,
    /// version or byte: the user must then be told that the identities do not match.
    /// </summary>
    public bool MatchesQrPayload(ReadOnlySpan<byte> scanned) => Crypto.FixedTimeEquals(qrPayload, scanned);

    public override string ToString() => Display;
}
