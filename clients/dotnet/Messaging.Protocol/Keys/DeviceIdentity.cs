using System.Text;
using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Keys;

/// <summary>
/// A device's public identity (docs/protocol.md §2), 129 bytes:
/// <c>0x01 || IKs.pub (32) || IKd.pub (32) || SIGN(IKs, "MSG1-IDK" || IKd.pub) (64)</c>.
/// Parsing verifies the self-signature, so a <see cref="DeviceIdentity"/> is always well formed and signed.
/// </summary>
public sealed class DeviceIdentity : IEquatable<DeviceIdentity>
{
    public const byte Version = 0x01;
    public const int Length = 1 + Sizes.Ed25519PublicKey + Sizes.X25519Key + Sizes.Ed25519Signature;

    private static readonly byte[] Label = Encoding.ASCII.GetBytes("MSG1-IDK");
    private readonly byte[] encoded;

    private DeviceIdentity(byte[] encoded) => this.encoded = encoded;

    /// <summary>The Ed25519 identity signing key (IKs).</summary>
    public ReadOnlySpan<byte> SigningKey => encoded.AsSpan(1, Sizes.Ed25519PublicKey);

    /// <summary>The X25519 identity key (IKd).</summary>
    public ReadOnlySpan<byte> AgreementKey => encoded.AsSpan(1 + Sizes.Ed25519PublicKey, Sizes.X25519Key);

    /// <summary>The 129 encoded bytes, as registered with the server and carried in prekey messages.</summary>
    public ReadOnlySpan<byte> Encoded => encoded;

    public byte[] ToArray() => (byte[])encoded.Clone();

    /// <summary>Parses and verifies an identity; false for any other length, version or a bad signature.</summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, out DeviceIdentity? identity)
    {
        identity = null;
        if (bytes.Length != Length || bytes[0] != Version)
        {
            return false;
        }

        var signingKey = bytes.Slice(1, Sizes.Ed25519PublicKey);
        var agreementKey = bytes.Slice(1 + Sizes.Ed25519PublicKey, Sizes.X25519Key);
        var signature = bytes.Slice(1 + Sizes.Ed25519PublicKey + Sizes.X25519Key);
        if (!Crypto.Verify(signingKey, SignedMessage(agreementKey), signature))
        {
            return false;
        }

        identity = new DeviceIdentity(bytes.ToArray());
        return true;
    }

    public static DeviceIdentity Parse(ReadOnlySpan<byte> bytes) =>
        TryParse(bytes, out var identity) ? identity! : throw new FormatException(Errors.BadSignature("device identity"));

    /// <summary>Builds the identity of a device from its keys (signing with the identity signing key).</summary>
    public static DeviceIdentity Create(ReadOnlySpan<byte> signingPublicKey, ReadOnlySpan<byte> signingSecretKey, ReadOnlySpan<byte> agreementPublicKey)
    {
        var bytes = new byte[Length];
        bytes[0] = Version;
        signingPublicKey.CopyTo(bytes.AsSpan(1));
        agreementPublicKey.CopyTo(bytes.AsSpan(1 + Sizes.Ed25519PublicKey));
        Crypto.Sign(signingSecretKey, SignedMessage(agreementPublicKey), bytes.AsSpan(1 + Sizes.Ed25519PublicKey + Sizes.X25519Key));
        return Parse(bytes);
    }

    /// <summary>Verifies a signature made by this identity's signing key.</summary>
    public bool Verifies(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) => Crypto.Verify(SigningKey, message, signature);

    public bool Equals(DeviceIdentity? other) => other is not null && encoded.AsSpan().SequenceEqual(other.encoded);

    public override bool Equals(object? obj) => Equals(obj as DeviceIdentity);

    public override int GetHashCode() => BitConverter.ToInt32(encoded, 1);

    private static byte[] SignedMessage(ReadOnlySpan<byte> agreementKey) => [.. Label, .. agreementKey];
}
