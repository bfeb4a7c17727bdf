using System.Runtime.InteropServices;

namespace Messaging.Protocol.Primitives;

/// <summary>
/// Stateless primitives over spans (docs/protocol.md §1). Arguments are checked first, then one native call.
/// Operations that can fail on untrusted input return false (<c>Try…</c>) instead of throwing.
/// </summary>
public static class Crypto
{
    private static readonly byte[] Empty = new byte[1];

    /// <summary>HKDF-SHA-256 (RFC 5869): extract with <paramref name="salt"/>, expand to <paramref name="output"/>.</summary>
    public static void Hkdf(ReadOnlySpan<byte> salt, ReadOnlySpan<byte> ikm, ReadOnlySpan<byte> info, Span<byte> output)
    {
        Sodium.EnsureReady();
        if (output.Length is 0 or > 255 * 32)
        {
            throw new ArgumentException(Errors.WrongLength("HKDF output", 32, output.Length), nameof(output));
        }

        Span<byte> prk = stackalloc byte[32];
        try
        {
            Check(Native.crypto_kdf_hkdf_sha256_extract(ref Ref(prk), ref Ref(salt), (nuint)salt.Length, ref Ref(ikm), (nuint)ikm.Length));
            Check(Native.crypto_kdf_hkdf_sha256_expand(ref Ref(output), (nuint)output.Length, ref Ref(info), (nuint)info.Length, ref Ref(prk)));
        }
        finally
        {
            Wipe(prk);
        }
    }

    /// <summary>HMAC-SHA-256 of <paramref name="message"/> under a 32-byte key.</summary>
    public static void Hmac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, Span<byte> output)
    {
        Sodium.EnsureReady();
        Length(key, Sizes.Hmac, nameof(key));
        Length(output, Sizes.Hmac, nameof(output));
        Check(Native.crypto_auth_hmacsha256(ref Ref(output), ref Ref(message), (ulong)message.Length, ref Ref(key)));
    }

    public static void Sha512(ReadOnlySpan<byte> message, Span<byte> output)
    {
        Sodium.EnsureReady();
        Length(output, Sizes.Sha512, nameof(output));
        Check(Native.crypto_hash_sha512(ref Ref(output), ref Ref(message), (ulong)message.Length));
    }

    /// <summary>The X25519 public key of a 32-byte secret.</summary>
    public static void X25519PublicKey(ReadOnlySpan<byte> secret, Span<byte> publicKey)
    {
        Sodium.EnsureReady();
        Length(secret, Sizes.X25519Key, nameof(secret));
        Length(publicKey, Sizes.X25519Key, nameof(publicKey));
        Check(Native.crypto_scalarmult_curve25519_base(ref Ref(publicKey), ref Ref(secret)));
    }

    /// <summary>
    /// X25519. False when the result is all zero (a low-order or otherwise non-contributory public key): the caller
    /// must then refuse the key. libsodium itself returns -1 in that case; both are treated the same.
    /// </summary>
    public static bool TryX25519(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> publicKey, Span<byte> shared)
    {
        Sodium.EnsureReady();
        Length(secret, Sizes.X25519Key, nameof(secret));
        Length(publicKey, Sizes.X25519Key, nameof(publicKey));
        Length(shared, Sizes.X25519Key, nameof(shared));
        var result = Native.crypto_scalarmult_curve25519(ref Ref(shared), ref Ref(secret), ref Ref(publicKey));
        if (result != 0 || IsZero(shared))
        {
            Wipe(shared);
            return false;
        }

        return true;
    }

    public static void Ed25519KeyPairFromSeed(ReadOnlySpan<byte> seed, Span<byte> publicKey, Span<byte> secretKey)
    {
        Sodium.EnsureReady();
        Length(seed, Sizes.Seed, nameof(seed));
        Length(publicKey, Sizes.Ed25519PublicKey, nameof(publicKey));
        Length(secretKey, Sizes.Ed25519SecretKey, nameof(secretKey));
        Check(Native.crypto_sign_ed25519_seed_keypair(ref Ref(publicKey), ref Ref(secretKey), ref Ref(seed)));
    }

    public static void Sign(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> message, Span<byte> signature)
    {
        Sodium.EnsureReady();
        Length(secretKey, Sizes.Ed25519SecretKey, nameof(secretKey));
        Length(signature, Sizes.Ed25519Signature, nameof(signature));
        Check(Native.crypto_sign_ed25519_detached(ref Ref(signature), out _, ref Ref(message), (ulong)message.Length, ref Ref(secretKey)));
    }

    /// <summary>Ed25519 verification; false for a wrong-sized key or signature as for a bad one.</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        Sodium.EnsureReady();
        return publicKey.Length == Sizes.Ed25519PublicKey
            && signature.Length == Sizes.Ed25519Signature
            && Native.crypto_sign_ed25519_verify_detached(ref Ref(signature), ref Ref(message), (ulong)message.Length, ref Ref(publicKey)) == 0;
    }

    /// <summary>XChaCha20-Poly1305-IETF; <paramref name="ciphertext"/> is the plaintext's length plus the 16-byte tag.</summary>
    public static void AeadEncrypt(
        ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        Sodium.EnsureReady();
        Length(key, Sizes.AeadKey, nameof(key));
        Length(nonce, Sizes.AeadNonce, nameof(nonce));
        Length(ciphertext, plaintext.Length + Sizes.AeadTag, nameof(ciphertext));
        Check(Native.crypto_aead_xchacha20poly1305_ietf_encrypt(
            ref Ref(ciphertext), out _, ref Ref(plaintext), (ulong)plaintext.Length, ref Ref(associatedData), (ulong)associatedData.Length,
            IntPtr.Zero, ref Ref(nonce), ref Ref(key)));
    }

    /// <summary>False when the tag does not verify (wrong key, nonce, associated data or a modified ciphertext).</summary>
    public static bool TryAeadDecrypt(
        ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        Sodium.EnsureReady();
        Length(key, Sizes.AeadKey, nameof(key));
        Length(nonce, Sizes.AeadNonce, nameof(nonce));
        if (ciphertext.Length < Sizes.AeadTag || plaintext.Length != ciphertext.Length - Sizes.AeadTag)
        {
            return false;
        }

        return Native.crypto_aead_xchacha20poly1305_ietf_decrypt(
            ref Ref(plaintext), out _, IntPtr.Zero, ref Ref(ciphertext), (ulong)ciphertext.Length, ref Ref(associatedData),
            (ulong)associatedData.Length, ref Ref(nonce), ref Ref(key)) == 0;
    }

    public static void KemKeyPairFromSeed(ReadOnlySpan<byte> seed, Span<byte> publicKey, Span<byte> secretKey)
    {
        Sodium.EnsureReady();
        Length(seed, Sizes.KemSeed, nameof(seed));
        Length(publicKey, Sizes.KemPublicKey, nameof(publicKey));
        Length(secretKey, Sizes.KemSecretKey, nameof(secretKey));
        Check(Native.crypto_kem_mlkem768_seed_keypair(ref Ref(publicKey), ref Ref(secretKey), ref Ref(seed)));
    }

    /// <summary>ML-KEM-768 encapsulation; with a 32-byte <paramref name="seed"/> it is deterministic (test vectors only).</summary>
    public static bool TryKemEncapsulate(ReadOnlySpan<byte> publicKey, Span<byte> ciphertext, Span<byte> sharedSecret, ReadOnlySpan<byte> seed = default)
    {
        Sodium.EnsureReady();
        Length(ciphertext, Sizes.KemCiphertext, nameof(ciphertext));
        Length(sharedSecret, Sizes.KemSharedSecret, nameof(sharedSecret));
        if (publicKey.Length != Sizes.KemPublicKey)
        {
            return false;
        }

        var result = seed.IsEmpty
            ? Native.crypto_kem_mlkem768_enc(ref Ref(ciphertext), ref Ref(sharedSecret), ref Ref(publicKey))
            : Native.crypto_kem_mlkem768_enc_deterministic(ref Ref(ciphertext), ref Ref(sharedSecret), ref Ref(publicKey), ref Ref(seed));
        return result == 0;
    }

    /// <summary>ML-KEM-768 decapsulation. A wrong ciphertext yields a pseudo-random secret (implicit rejection), not false.</summary>
    public static bool TryKemDecapsulate(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> ciphertext, Span<byte> sharedSecret)
    {
        Sodium.EnsureReady();
        Length(secretKey, Sizes.KemSecretKey, nameof(secretKey));
        Length(sharedSecret, Sizes.KemSharedSecret, nameof(sharedSecret));
        return ciphertext.Length == Sizes.KemCiphertext
            && Native.crypto_kem_mlkem768_dec(ref Ref(sharedSecret), ref Ref(ciphertext), ref Ref(secretKey)) == 0;
    }

    /// <summary>Argon2id13 (crypto_pwhash) of a passphrase with a 16-byte salt.</summary>
    public static void Argon2id(ReadOnlySpan<byte> passphrase, ReadOnlySpan<byte> salt, ulong opsLimit, nuint memLimit, Span<byte> output)
    {
        Sodium.EnsureReady();
        Length(salt, 16, nameof(salt));
        const int Argon2id13 = 2;
        Check(Native.crypto_pwhash(ref Ref(output), (ulong)output.Length, ref Ref(passphrase), (ulong)passphrase.Length, ref Ref(salt), opsLimit, memLimit, Argon2id13));
    }

    public static void RandomBytes(Span<byte> buffer)
    {
        Sodium.EnsureReady();
        if (!buffer.IsEmpty)
        {
            Native.randombytes_buf(ref Ref(buffer), (nuint)buffer.Length);
        }
    }

    public static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        RandomBytes(bytes);
        return bytes;
    }

    /// <summary>Overwrites a secret with zeros in a way the compiler cannot remove.</summary>
    public static void Wipe(Span<byte> secret)
    {
        if (!secret.IsEmpty)
        {
            Sodium.EnsureReady();
            Native.sodium_memzero(ref Ref(secret), (nuint)secret.Length);
        }
    }

    public static bool IsZero(ReadOnlySpan<byte> bytes)
    {
        Sodium.EnsureReady();
        return bytes.IsEmpty || Native.sodium_is_zero(ref Ref(bytes), (nuint)bytes.Length) == 1;
    }

    /// <summary>Constant-time equality of two secrets of the same length.</summary>
    public static bool FixedTimeEquals(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(a, b);

    private static ref byte Ref(ReadOnlySpan<byte> span) =>
        ref span.IsEmpty ? ref Empty[0] : ref MemoryMarshal.GetReference(span);

    private static ref byte Ref(Span<byte> span) =>
        ref span.IsEmpty ? ref Empty[0] : ref MemoryMarshal.GetReference(span);

    private static void Length(ReadOnlySpan<byte> value, int expected, string name)
    {
        if (value.Length != expected)
        {
            throw new ArgumentException(Errors.WrongLength(name, expected, value.Length), name);
        }
    }

    private static void Check(int result)
    {
        if (result != 0)
        {
            throw new InvalidOperationException(Errors.NativeLibraryUnusable("a libsodium call failed"));
        }
    }
}
