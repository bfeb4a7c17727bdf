using System.Text;
using Sodium;

namespace Messaging.Testing;

/// <summary>
/// Payloads for relay tests: real XChaCha20-Poly1305 ciphertext under a key only the test holds, so no readable
/// text ever reaches the server, and the receiving side can prove it got exactly what was sent.
/// </summary>
public sealed class TestCiphertext
{
    private readonly byte[] key = SodiumCore.GetRandomBytes(32);

    public byte[] Seal(string plaintext)
    {
        var nonce = SecretAeadXChaCha20Poly1305.GenerateNonce();
        var sealedBytes = SecretAeadXChaCha20Poly1305.Encrypt(Encoding.UTF8.GetBytes(plaintext), nonce, key);
        return [.. nonce, .. sealedBytes];
    }

    public string Open(byte[] ciphertext)
    {
        const int NonceBytes = 24;
        var plaintext = SecretAeadXChaCha20Poly1305.Decrypt(ciphertext[NonceBytes..], ciphertext[..NonceBytes], key);
        return Encoding.UTF8.GetString(plaintext);
    }
}
