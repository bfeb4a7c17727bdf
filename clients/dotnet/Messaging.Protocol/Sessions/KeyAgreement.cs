using Messaging.Protocol.Keys;
using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Sessions;

/// <summary>
/// PQXDH (docs/protocol.md §4): <c>SK = HKDF(ZERO(32), FF(32) || DH1 || DH2 || DH3 [|| DH4] || SS,
/// "MSG1 PQXDH X25519 ML-KEM-768 SHA-256", 32)</c>. Every DH must be contributory; the intermediate secrets are wiped.
/// </summary>
internal static class KeyAgreement
{
    public const int AssociatedDataLength = 1 + (2 * (Sizes.Ed25519PublicKey + Sizes.X25519Key));
    private const int Dh = Sizes.X25519Key;

    /// <summary>The initiator's side: draws EK and the encapsulation, returns SK and the prekey header.</summary>
    public static bool TryInitiate(
        DeviceKeys local, VerifiedPrekeyBundle bundle, RandomSource random, out SecretBytes? sharedKey, out byte[]? prekeyHeader)
    {
        sharedKey = null;
        prekeyHeader = null;
        var hasOneTime = bundle.OneTimePrekeyId is not null;
        using var ephemeral = X25519KeyPair.Generate(random);
        using var ikm = new SecretBytes(IkmLength(hasOneTime));
        var span = ikm.Span;
        var ciphertext = new byte[Sizes.KemCiphertext];
        if (!local.Agreement.TryAgree(bundle.SignedPrekeyPublicKey, span.Slice(Dh, Dh))
            || !ephemeral.TryAgree(bundle.Identity.AgreementKey, span.Slice(2 * Dh, Dh))
            || !ephemeral.TryAgree(bundle.SignedPrekeyPublicKey, span.Slice(3 * Dh, Dh))
            || (hasOneTime && !ephemeral.TryAgree(bundle.OneTimePrekeyPublicKey, span.Slice(4 * Dh, Dh)))
            || !random.TryKemEncapsulate(bundle.PqPrekeyPublicKey, ciphertext, span[^Sizes.KemSharedSecret..]))
        {
            return false;
        }

        sharedKey = Derive(span);
        prekeyHeader = PrekeyHeader.Encode(
            local.Identity, ephemeral.PublicKey, bundle.SignedPrekeyId, bundle.OneTimePrekeyId ?? PrekeySignature.NoPrekey, bundle.PqPrekeyId, ciphertext);
        return true;
    }

    /// <summary>The responder's side, with the prekeys the header names (the caller looked them up).</summary>
    public static bool TryRespond(
        DeviceKeys local, PrekeyHeader header, SignedPrekey signedPrekey, OneTimePrekey? oneTimePrekey, KemPrekey kemPrekey, out SecretBytes? sharedKey)
    {
        sharedKey = null;
        using var ikm = new SecretBytes(IkmLength(oneTimePrekey is not null));
        var span = ikm.Span;
        if (!signedPrekey.KeyPair.TryAgree(header.Identity.AgreementKey, span.Slice(Dh, Dh))
            || !local.Agreement.TryAgree(header.BaseKey, span.Slice(2 * Dh, Dh))
            || !signedPrekey.KeyPair.TryAgree(header.BaseKey, span.Slice(3 * Dh, Dh))
            || (oneTimePrekey is not null && !oneTimePrekey.KeyPair.TryAgree(header.BaseKey, span.Slice(4 * Dh, Dh)))
            || !kemPrekey.TryDecapsulate(header.KemCiphertext, span[^Sizes.KemSharedSecret..]))
        {
            return false;
        }

        sharedKey = Derive(span);
        return true;
    }

    /// <summary><c>AD = 0x01 || IKs_A || IKd_A || IKs_B || IKd_B</c>, initiator first (129 bytes).</summary>
    public static byte[] AssociatedData(DeviceIdentity initiator, DeviceIdentity responder) =>
        [0x01, .. initiator.SigningKey, .. initiator.AgreementKey, .. responder.SigningKey, .. responder.AgreementKey];

    private static int IkmLength(bool hasOneTime) => Dh + ((hasOneTime ? 4 : 3) * Dh) + Sizes.KemSharedSecret;

    private static SecretBytes Derive(Span<byte> ikm)
    {
        ikm[..Dh].Fill(0xFF);
        Span<byte> salt = stackalloc byte[32];
        salt.Clear();
        var sharedKey = new SecretBytes(32);
        Crypto.Hkdf(salt, ikm, "MSG1 PQXDH X25519 ML-KEM-768 SHA-256"u8, sharedKey.Span);
        return sharedKey;
    }
}
