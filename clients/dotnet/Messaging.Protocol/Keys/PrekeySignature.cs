using System.Buffers.Binary;
using System.Text;

namespace Messaging.Protocol.Keys;

/// <summary>
/// What an identity signs for a prekey (docs/protocol.md §2): <c>label || u32(id) || public key</c>, with the label
/// <c>"MSG1-SPK"</c> for the X25519 signed prekey and <c>"MSG1-PQPK"</c> for ML-KEM-768 prekeys (last-resort and
/// one-time alike). The server checks these on upload; clients check them again on every bundle.
/// </summary>
public static class PrekeySignature
{
    /// <summary>Reserved prekey id: "no prekey".</summary>
    public const uint NoPrekey = uint.MaxValue;

    private static readonly byte[] SignedPrekeyLabel = Encoding.ASCII.GetBytes("MSG1-SPK");
    private static readonly byte[] KemPrekeyLabel = Encoding.ASCII.GetBytes("MSG1-PQPK");

    public static byte[] SignedPrekeyMessage(uint id, ReadOnlySpan<byte> publicKey) => Message(SignedPrekeyLabel, id, publicKey);

    public static byte[] KemPrekeyMessage(uint id, ReadOnlySpan<byte> publicKey) => Message(KemPrekeyLabel, id, publicKey);

    public static bool VerifySignedPrekey(DeviceIdentity identity, uint id, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> signature) =>
        publicKey.Length == Primitives.Sizes.X25519Key && identity.Verifies(SignedPrekeyMessage(id, publicKey), signature);

    public static bool VerifyKemPrekey(DeviceIdentity identity, uint id, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> signature) =>
        publicKey.Length == Primitives.Sizes.KemPublicKey && identity.Verifies(KemPrekeyMessage(id, publicKey), signature);

    private static byte[] Message(byte[] label, uint id, ReadOnlySpan<byte> publicKey)
    {
        var message = new byte[label.Length + 4 + publicKey.Length];
        label.CopyTo(message, 0);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(label.Length), id);
        publicKey.CopyTo(message.AsSpan(label.Length + 4));
        return message;
    }
}
