using System.Runtime.InteropServices;

namespace Messaging.Protocol.Primitives;

/// <summary>
/// Initialises libsodium once and checks, at first use, that the native library is the one the protocol was
/// written for: a version with ML-KEM-768 and the sizes compiled into <see cref="Sizes"/>.
/// </summary>
internal static class Sodium
{
    private static readonly Lazy<bool> Ready = new(Initialise, LazyThreadSafetyMode.ExecutionAndPublication);

    public static void EnsureReady() => _ = Ready.Value;

    /// <summary>The native library's version, e.g. 1.0.22.</summary>
    public static string Version
    {
        get
        {
            EnsureReady();
            return Marshal.PtrToStringAnsi(Native.sodium_version_string()) ?? "";
        }
    }

    private static bool Initialise()
    {
        if (Native.sodium_init() < 0)
        {
            throw new InvalidOperationException(Errors.NativeLibraryUnusable("sodium_init failed"));
        }

        (nuint Actual, int Expected, string Name)[] sizes =
        [
            (Native.crypto_kem_mlkem768_publickeybytes(), Sizes.KemPublicKey, "ML-KEM-768 public key"),
            (Native.crypto_kem_mlkem768_secretkeybytes(), Sizes.KemSecretKey, "ML-KEM-768 secret key"),
            (Native.crypto_kem_mlkem768_ciphertextbytes(), Sizes.KemCiphertext, "ML-KEM-768 ciphertext"),
            (Native.crypto_kem_mlkem768_sharedsecretbytes(), Sizes.KemSharedSecret, "ML-KEM-768 shared secret"),
            (Native.crypto_kem_mlkem768_seedbytes(), Sizes.KemSeed, "ML-KEM-768 seed"),
        ];
        foreach (var (actual, expected, name) in sizes)
        {
            if (actual != (nuint)expected)
            {
                throw new InvalidOperationException(Errors.NativeLibraryUnusable($"{name} is {actual} bytes, expected {expected}"));
            }
        }

        return true;
    }
}
