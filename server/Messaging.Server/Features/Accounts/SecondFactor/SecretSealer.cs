using System.Security.Cryptography;
using System.Text;
using Messaging.Protocol.Primitives;
using Messaging.Server.Hosting;

namespace Messaging.Server.Features.Accounts.SecondFactor;

/// <summary>
/// Seals small server-side secrets (TOTP secrets) with a key derived from the personal-data key, XChaCha20-Poly1305
/// with the owner's id as associated data: a database copy alone does not give anyone's second factor, and a sealed
/// secret moved to another account does not open.
/// </summary>
internal sealed class SecretSealer
{
    private const byte Version = 1;
    private readonly byte[] key;

    public SecretSealer(ServerKeys keys) =>
        key = HKDF.DeriveKey(HashAlgorithmName.SHA256, keys.PersonalDataKey, Sizes.AeadKey, info: Encoding.ASCII.GetBytes("messaging-secret-seal-v1"));

    public byte[] Seal(ReadOnlySpan<byte> secret, Guid ownerId)
    {
        var sealedBytes = new byte[1 + Sizes.AeadNonce + secret.Length + Sizes.AeadTag];
        sealedBytes[0] = Version;
        var nonce = sealedBytes.AsSpan(1, Sizes.AeadNonce);
        RandomNumberGenerator.Fill(nonce);
        Crypto.AeadEncrypt(key, nonce, AssociatedData(ownerId), secret, sealedBytes.AsSpan(1 + Sizes.AeadNonce));
        return sealedBytes;
    }

    public byte[] Open(byte[] sealedBytes, Guid ownerId)
    {
        if (sealedBytes.Length < 1 + Sizes.AeadNonce + Sizes.AeadTag || sealedBytes[0] != Version)
        {
            throw new CryptographicException("The sealed secret is malformed.");
        }

        var ciphertext = sealedBytes.AsSpan(1 + Sizes.AeadNonce);
        var secret = new byte[ciphertext.Length - Sizes.AeadTag];
        return Crypto.TryAeadDecrypt(key, sealedBytes.AsSpan(1, Sizes.AeadNonce), AssociatedData(ownerId), ciphertext, secret)
            ? secret
            : throw new CryptographicException("The sealed secret does not open for this owner.");
    }

    private static byte[] AssociatedData(Guid ownerId) => [Version, .. ownerId.ToByteArray()];
}
