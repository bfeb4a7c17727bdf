using System.Runtime.InteropServices;

namespace Messaging.Protocol.Primitives;

/// <summary>The libsodium functions the protocol uses, called directly (Sodium.Core wraps neither HKDF nor ML-KEM).</summary>
internal static partial class Native
{
    private const string Library = "libsodium";

    [LibraryImport(Library)] internal static partial int sodium_init();
    [LibraryImport(Library)] internal static partial IntPtr sodium_version_string();
    [LibraryImport(Library)] internal static partial void sodium_memzero(ref byte pnt, nuint len);
    [LibraryImport(Library)] internal static partial int sodium_is_zero(ref byte n, nuint nlen);
    [LibraryImport(Library)] internal static partial int sodium_memcmp(ref byte b1, ref byte b2, nuint len);
    [LibraryImport(Library)] internal static partial void randombytes_buf(ref byte buf, nuint size);

    [LibraryImport(Library)] internal static partial nuint crypto_kem_mlkem768_publickeybytes();
    [LibraryImport(Library)] internal static partial nuint crypto_kem_mlkem768_secretkeybytes();
    [LibraryImport(Library)] internal static partial nuint crypto_kem_mlkem768_ciphertextbytes();
    [LibraryImport(Library)] internal static partial nuint crypto_kem_mlkem768_sharedsecretbytes();
    [LibraryImport(Library)] internal static partial nuint crypto_kem_mlkem768_seedbytes();
    [LibraryImport(Library)] internal static partial int crypto_kem_mlkem768_seed_keypair(ref byte pk, ref byte sk, ref byte seed);
    [LibraryImport(Library)] internal static partial int crypto_kem_mlkem768_enc(ref byte ct, ref byte ss, ref byte pk);
    [LibraryImport(Library)] internal static partial int crypto_kem_mlkem768_enc_deterministic(ref byte ct, ref byte ss, ref byte pk, ref byte seed);
    [LibraryImport(Library)] internal static partial int crypto_kem_mlkem768_dec(ref byte ss, ref byte ct, ref byte sk);

    [LibraryImport(Library)] internal static partial int crypto_kdf_hkdf_sha256_extract(ref byte prk, ref byte salt, nuint saltLen, ref byte ikm, nuint ikmLen);
    [LibraryImport(Library)] internal static partial int crypto_kdf_hkdf_sha256_expand(ref byte output, nuint outLen, ref byte ctx, nuint ctxLen, ref byte prk);

    [LibraryImport(Library)] internal static partial int crypto_scalarmult_curve25519(ref byte q, ref byte n, ref byte p);
    [LibraryImport(Library)] internal static partial int crypto_scalarmult_curve25519_base(ref byte q, ref byte n);

    [LibraryImport(Library)] internal static partial int crypto_sign_ed25519_seed_keypair(ref byte pk, ref byte sk, ref byte seed);
    [LibraryImport(Library)] internal static partial int crypto_sign_ed25519_detached(ref byte sig, out ulong sigLen, ref byte m, ulong mLen, ref byte sk);
    [LibraryImport(Library)] internal static partial int crypto_sign_ed25519_verify_detached(ref byte sig, ref byte m, ulong mLen, ref byte pk);

    [LibraryImport(Library)]
    internal static partial int crypto_aead_xchacha20poly1305_ietf_encrypt(
        ref byte c, out ulong cLen, ref byte m, ulong mLen, ref byte ad, ulong adLen, IntPtr nsec, ref byte npub, ref byte k);

    [LibraryImport(Library)]
    internal static partial int crypto_aead_xchacha20poly1305_ietf_decrypt(
        ref byte m, out ulong mLen, IntPtr nsec, ref byte c, ulong cLen, ref byte ad, ulong adLen, ref byte npub, ref byte k);

    [LibraryImport(Library)] internal static partial int crypto_auth_hmacsha256(ref byte output, ref byte input, ulong inLen, ref byte key);
    [LibraryImport(Library)] internal static partial int crypto_hash_sha512(ref byte output, ref byte input, ulong inLen);

    [LibraryImport(Library)]
    internal static partial int crypto_pwhash(
        ref byte output, ulong outLen, ref byte passwd, ulong passwdLen, ref byte salt, ulong opslimit, nuint memlimit, int alg);
}
