using System.Diagnostics.CodeAnalysis;
using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Keys;

/// <summary>
/// What the key directory returns for one device (docs/protocol.md §3). It comes from the untrusted server:
/// use it only through <see cref="TryVerify"/>.
/// </summary>
public sealed record PrekeyBundle(
    Guid DeviceId,
    byte[] Identity,
    SignedPrekeyPublic SignedPrekey,
    OneTimePrekeyPublic? OneTimePrekey,
    KemPrekeyPublic PqPrekey)
{
    /// <summary>
    /// Parses the identity (checking its self-signature) and checks both prekey signatures under IKs, the key sizes and
    /// that no id is the reserved <c>0xFFFFFFFF</c>. The result holds its own copies of every byte.
    /// </summary>
    public bool TryVerify([NotNullWhen(true)] out VerifiedPrekeyBundle? verified)
    {
        verified = null;
        if (Identity is null || SignedPrekey?.PublicKey is null || SignedPrekey.Signature is null
            || PqPrekey?.PublicKey is null || PqPrekey.Signature is null
            || (OneTimePrekey is not null && OneTimePrekey.PublicKey is null)
            || !DeviceIdentity.TryParse(Identity, out var identity))
        {
            return false;
        }

        var signedPrekey = SignedPrekey with { PublicKey = [.. SignedPrekey.PublicKey], Signature = [.. SignedPrekey.Signature] };
        var pqPrekey = PqPrekey with { PublicKey = [.. PqPrekey.PublicKey], Signature = [.. PqPrekey.Signature] };
        var oneTimePrekey = OneTimePrekey is null ? null : OneTimePrekey with { PublicKey = [.. OneTimePrekey.PublicKey] };
        if (signedPrekey.Id == PrekeySignature.NoPrekey
            || !PrekeySignature.VerifySignedPrekey(identity!, signedPrekey.Id, signedPrekey.PublicKey, signedPrekey.Signature)
            || pqPrekey.Id == PrekeySignature.NoPrekey
            || !PrekeySignature.VerifyKemPrekey(identity!, pqPrekey.Id, pqPrekey.PublicKey, pqPrekey.Signature)
            || (oneTimePrekey is not null && (oneTimePrekey.Id == PrekeySignature.NoPrekey || oneTimePrekey.PublicKey.Length != Sizes.X25519Key)))
        {
            return false;
        }

        verified = new VerifiedPrekeyBundle(DeviceId, identity!, signedPrekey, oneTimePrekey, pqPrekey);
        return true;
    }
}

/// <summary>A bundle whose identity and signatures verified; only <see cref="PrekeyBundle.TryVerify"/> makes one.</summary>
public sealed class VerifiedPrekeyBundle
{
    private readonly SignedPrekeyPublic signedPrekey;
    private readonly OneTimePrekeyPublic? oneTimePrekey;
    private readonly KemPrekeyPublic pqPrekey;

    internal VerifiedPrekeyBundle(
        Guid deviceId, DeviceIdentity identity, SignedPrekeyPublic signedPrekey, OneTimePrekeyPublic? oneTimePrekey, KemPrekeyPublic pqPrekey)
    {
        DeviceId = deviceId;
        Identity = identity;
        this.signedPrekey = signedPrekey;
        this.oneTimePrekey = oneTimePrekey;
        this.pqPrekey = pqPrekey;
    }

    public Guid DeviceId { get; }

    public DeviceIdentity Identity { get; }

    public uint SignedPrekeyId => signedPrekey.Id;

    public ReadOnlySpan<byte> SignedPrekeyPublicKey => signedPrekey.PublicKey;

    public uint? OneTimePrekeyId => oneTimePrekey?.Id;

    public ReadOnlySpan<byte> OneTimePrekeyPublicKey => oneTimePrekey is null ? default : oneTimePrekey.PublicKey;

    public uint PqPrekeyId => pqPrekey.Id;

    public ReadOnlySpan<byte> PqPrekeyPublicKey => pqPrekey.PublicKey;

    public bool PqPrekeyIsLastResort => pqPrekey.LastResort;
}
