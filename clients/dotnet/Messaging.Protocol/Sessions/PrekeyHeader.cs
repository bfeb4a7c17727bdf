using System.Buffers.Binary;
using Messaging.Protocol.Keys;
using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Sessions;

/// <summary>
/// The prekey header (docs/protocol.md §5.2), 1261 bytes:
/// <c>identity (129) || EK.pub (32) || u32(SPK id) || u32(OPK id or 0xFFFFFFFF) || u32(PQ prekey id) || CT (1088)</c>.
/// Parsing verifies the identity's self-signature and refuses the reserved id for SPK and the PQ prekey.
/// </summary>
internal sealed class PrekeyHeader
{
    public const int Length = DeviceIdentity.Length + Sizes.X25519Key + (3 * 4) + Sizes.KemCiphertext;
    private const int IdsOffset = DeviceIdentity.Length + Sizes.X25519Key;

    private readonly byte[] baseKey;
    private readonly byte[] kemCiphertext;

    private PrekeyHeader(DeviceIdentity identity, byte[] baseKey, uint signedPrekeyId, uint oneTimePrekeyId, uint kemPrekeyId, byte[] kemCiphertext)
    {
        Identity = identity;
        this.baseKey = baseKey;
        SignedPrekeyId = signedPrekeyId;
        OneTimePrekeyId = oneTimePrekeyId;
        KemPrekeyId = kemPrekeyId;
        this.kemCiphertext = kemCiphertext;
    }

    /// <summary>The initiator's identity.</summary>
    public DeviceIdentity Identity { get; }

    /// <summary>EK.pub, which also names the session on the responder's side.</summary>
    public ReadOnlySpan<byte> BaseKey => baseKey;

    public uint SignedPrekeyId { get; }

    /// <summary>The OPK id, or <see cref="PrekeySignature.NoPrekey"/>.</summary>
    public uint OneTimePrekeyId { get; }

    public uint KemPrekeyId { get; }

    public ReadOnlySpan<byte> KemCiphertext => kemCiphertext;

    public static byte[] Encode(
        DeviceIdentity identity, ReadOnlySpan<byte> baseKey, uint signedPrekeyId, uint oneTimePrekeyId, uint kemPrekeyId, ReadOnlySpan<byte> kemCiphertext)
    {
        var bytes = new byte[Length];
        identity.Encoded.CopyTo(bytes);
        baseKey.CopyTo(bytes.AsSpan(DeviceIdentity.Length, Sizes.X25519Key));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(IdsOffset), signedPrekeyId);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(IdsOffset + 4), oneTimePrekeyId);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(IdsOffset + 8), kemPrekeyId);
        kemCiphertext.CopyTo(bytes.AsSpan(IdsOffset + 12, Sizes.KemCiphertext));
        return bytes;
    }

    public static bool TryParse(ReadOnlySpan<byte> bytes, out PrekeyHeader? header)
    {
        header = null;
        if (bytes.Length != Length || !DeviceIdentity.TryParse(bytes[..DeviceIdentity.Length], out var identity))
        {
            return false;
        }

        var signedPrekeyId = BinaryPrimitives.ReadUInt32BigEndian(bytes[IdsOffset..]);
        var oneTimePrekeyId = BinaryPrimitives.ReadUInt32BigEndian(bytes[(IdsOffset + 4)..]);
        var kemPrekeyId = BinaryPrimitives.ReadUInt32BigEndian(bytes[(IdsOffset + 8)..]);
        if (signedPrekeyId == PrekeySignature.NoPrekey || kemPrekeyId == PrekeySignature.NoPrekey)
        {
            return false;
        }

        header = new PrekeyHeader(
            identity!,
            bytes.Slice(DeviceIdentity.Length, Sizes.X25519Key).ToArray(),
            signedPrekeyId,
            oneTimePrekeyId,
            kemPrekeyId,
            bytes.Slice(IdsOffset + 12).ToArray());
        return true;
    }
}
