using System.Diagnostics.CodeAnalysis;
using System.Text;
using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Storage;

/// <summary>
/// The file that holds a device's keys and sessions at rest (docs/protocol.md §8):
/// <c>"MSG1-STORE" || 0x01 || kdf (1) || salt (16) || nonce (24) || AEAD(key, nonce, ad = the 52 bytes before, state)</c>.
/// The library does no I/O: it seals and opens bytes, and the application writes and reads the file. Every seal draws
/// a new random nonce (and, with a passphrase, a new random salt). <c>TryOpen</c> returns false for a wrong key or
/// passphrase and for any modified, missing or added byte. The opened state belongs to the caller, who wipes it
/// (<see cref="Crypto.Wipe"/>) when done; the derived key and the passphrase's bytes are wiped here.
/// </summary>
public static class EncryptedStateFile
{
    public const byte Version = 0x01;
    public const int SaltLength = 16;

    /// <summary>Magic (10), version (1), kdf (1), salt (16) and nonce (24): the associated data of the AEAD.</summary>
    public const int HeaderLength = MagicLength + 1 + 1 + SaltLength + Sizes.AeadNonce;

    /// <summary>How much longer a sealed file is than its state: the header and the AEAD tag.</summary>
    public const int Overhead = HeaderLength + Sizes.AeadTag;

    /// <summary>Argon2id's opslimit for <see cref="StateFileKdf.Argon2id"/>.</summary>
    public const ulong Argon2OpsLimit = 3;

    /// <summary>Argon2id's memlimit for <see cref="StateFileKdf.Argon2id"/>: 64 MiB.</summary>
    public const int Argon2MemLimit = 64 * 1024 * 1024;

    private const int MagicLength = 10;
    private const int VersionOffset = MagicLength;
    private const int KdfOffset = VersionOffset + 1;
    private const int SaltOffset = KdfOffset + 1;
    private const int NonceOffset = SaltOffset + SaltLength;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The ASCII bytes <c>"MSG1-STORE"</c> that start every state file.</summary>
    public static ReadOnlySpan<byte> Magic => "MSG1-STORE"u8;

    /// <summary>The length of the sealed file for a state of <paramref name="stateLength"/> bytes.</summary>
    public static int SealedLength(int stateLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stateLength);
        return checked(stateLength + Overhead);
    }

    /// <summary>The length of the state a file of <paramref name="fileLength"/> bytes opens to; 0 when it is too short.</summary>
    public static int OpenedLength(int fileLength) => Math.Max(0, fileLength - Overhead);

    /// <summary>Reads the header's <c>kdf</c>, so that the application knows whether to ask for a passphrase.</summary>
    /// <returns>False when the bytes are not a version 1 state file (magic, version, kdf or length).</returns>
    public static bool TryReadKdf(ReadOnlySpan<byte> file, out StateFileKdf kdf)
    {
        kdf = default;
        if (file.Length < Overhead || !file[..MagicLength].SequenceEqual(Magic) || file[VersionOffset] != Version)
        {
            return false;
        }

        kdf = (StateFileKdf)file[KdfOffset];
        return kdf is StateFileKdf.ApplicationKey or StateFileKdf.Argon2id;
    }

    /// <summary>Seals a state under an application key (<c>kdf = 0x00</c>, zero salt).</summary>
    public static byte[] Seal(ReadOnlySpan<byte> state, StorageKey key)
    {
        var file = new byte[SealedLength(state.Length)];
        Seal(state, key, file);
        return file;
    }

    /// <summary>Seals a state under an application key into <paramref name="file"/> (exactly <see cref="SealedLength"/> bytes, not overlapping the state).</summary>
    public static void Seal(ReadOnlySpan<byte> state, StorageKey key, Span<byte> file)
    {
        Span<byte> nonce = stackalloc byte[Sizes.AeadNonce];
        Crypto.RandomBytes(nonce);
        Seal(state, key, nonce, file);
    }

    /// <summary>Seals a state under a passphrase (<c>kdf = 0x01</c>): Argon2id of its UTF-8 bytes with a new random salt.</summary>
    public static byte[] Seal(ReadOnlySpan<byte> state, ReadOnlySpan<char> passphrase)
    {
        var file = new byte[SealedLength(state.Length)];
        Seal(state, passphrase, file);
        return file;
    }

    /// <summary>Seals a state under a passphrase into <paramref name="file"/> (exactly <see cref="SealedLength"/> bytes, not overlapping the state).</summary>
    public static void Seal(ReadOnlySpan<byte> state, ReadOnlySpan<char> passphrase, Span<byte> file)
    {
        if (passphrase.IsEmpty)
        {
            throw new ArgumentException(Errors.EmptyPassphrase(), nameof(passphrase));
        }

        CheckFileLength(state, file);
        Span<byte> salt = stackalloc byte[SaltLength];
        Span<byte> nonce = stackalloc byte[Sizes.AeadNonce];
        Crypto.RandomBytes(salt);
        Crypto.RandomBytes(nonce);
        Span<byte> key = stackalloc byte[Sizes.AeadKey];
        try
        {
            if (!TryDeriveKey(passphrase, salt, key))
            {
                throw new ArgumentException(Errors.Malformed("passphrase"), nameof(passphrase));
            }

            SealCore(state, StateFileKdf.Argon2id, salt, key, nonce, file);
        }
        finally
        {
            Crypto.Wipe(key);
        }
    }

    /// <summary>Opens a file sealed under an application key; false for a wrong key or any modified byte.</summary>
    public static bool TryOpen(ReadOnlySpan<byte> file, StorageKey key, [NotNullWhen(true)] out byte[]? state)
    {
        ArgumentNullException.ThrowIfNull(key);
        state = null;
        if (file.Length < Overhead)
        {
            return false;
        }

        var opened = new byte[OpenedLength(file.Length)];
        if (!TryOpen(file, key, opened))
        {
            return false;
        }

        state = opened;
        return true;
    }

    /// <summary>
    /// Opens a file sealed under an application key into <paramref name="state"/> (exactly
    /// <see cref="OpenedLength"/> bytes); false for a wrong key or any modified byte, and the state is then zero.
    /// </summary>
    public static bool TryOpen(ReadOnlySpan<byte> file, StorageKey key, Span<byte> state)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!TryReadKdf(file, out var kdf) || kdf != StateFileKdf.ApplicationKey || !Crypto.IsZero(file.Slice(SaltOffset, SaltLength)))
        {
            return false;
        }

        CheckStateLength(file, state);
        return OpenCore(file, key.Secret, state);
    }

    /// <summary>Opens a file sealed under a passphrase; false for a wrong passphrase or any modified byte.</summary>
    public static bool TryOpen(ReadOnlySpan<byte> file, ReadOnlySpan<char> passphrase, [NotNullWhen(true)] out byte[]? state)
    {
        state = null;
        if (file.Length < Overhead)
        {
            return false;
        }

        var opened = new byte[OpenedLength(file.Length)];
        if (!TryOpen(file, passphrase, opened))
        {
            return false;
        }

        state = opened;
        return true;
    }

    /// <summary>
    /// Opens a file sealed under a passphrase into <paramref name="state"/> (exactly <see cref="OpenedLength"/>
    /// bytes); false for a wrong passphrase or any modified byte, and the state is then zero.
    /// </summary>
    public static bool TryOpen(ReadOnlySpan<byte> file, ReadOnlySpan<char> passphrase, Span<byte> state)
    {
        if (passphrase.IsEmpty || !TryReadKdf(file, out var kdf) || kdf != StateFileKdf.Argon2id)
        {
            return false;
        }

        CheckStateLength(file, state);
        Span<byte> key = stackalloc byte[Sizes.AeadKey];
        try
        {
            return TryDeriveKey(passphrase, file.Slice(SaltOffset, SaltLength), key) && OpenCore(file, key, state);
        }
        finally
        {
            Crypto.Wipe(key);
        }
    }

    /// <summary>Seals with a given nonce: for the shared test vectors only. Production draws a random nonce.</summary>
    internal static void Seal(ReadOnlySpan<byte> state, StorageKey key, ReadOnlySpan<byte> nonce, Span<byte> file)
    {
        ArgumentNullException.ThrowIfNull(key);
        CheckFileLength(state, file);
        Span<byte> zeroSalt = stackalloc byte[SaltLength];
        zeroSalt.Clear();
        SealCore(state, StateFileKdf.ApplicationKey, zeroSalt, key.Secret, nonce, file);
    }

    private static void SealCore(
        ReadOnlySpan<byte> state, StateFileKdf kdf, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, Span<byte> file)
    {
        if (nonce.Length != Sizes.AeadNonce)
        {
            throw new ArgumentException(Errors.WrongLength("nonce", Sizes.AeadNonce, nonce.Length), nameof(nonce));
        }

        Magic.CopyTo(file);
        file[VersionOffset] = Version;
        file[KdfOffset] = (byte)kdf;
        salt.CopyTo(file[SaltOffset..]);
        nonce.CopyTo(file[NonceOffset..]);
        var header = file[..HeaderLength];
        Crypto.AeadEncrypt(key, header[NonceOffset..], header, state, file[HeaderLength..]);
    }

    private static bool OpenCore(ReadOnlySpan<byte> file, ReadOnlySpan<byte> key, Span<byte> state)
    {
        var header = file[..HeaderLength];
        if (Crypto.TryAeadDecrypt(key, header[NonceOffset..], header, file[HeaderLength..], state))
        {
            return true;
        }

        Crypto.Wipe(state);
        return false;
    }

    /// <summary>Argon2id of the passphrase's UTF-8 bytes; false when it is not valid UTF-16 (a lone surrogate).</summary>
    private static bool TryDeriveKey(ReadOnlySpan<char> passphrase, ReadOnlySpan<byte> salt, Span<byte> key)
    {
        int length;
        try
        {
            length = StrictUtf8.GetByteCount(passphrase);
        }
        catch (EncoderFallbackException)
        {
            return false;
        }

        var utf8 = GC.AllocateArray<byte>(length, pinned: true);
        try
        {
            StrictUtf8.GetBytes(passphrase, utf8);
            Crypto.Argon2id(utf8, salt, Argon2OpsLimit, Argon2MemLimit, key);
            return true;
        }
        finally
        {
            Crypto.Wipe(utf8);
        }
    }

    private static void CheckFileLength(ReadOnlySpan<byte> state, Span<byte> file)
    {
        var expected = SealedLength(state.Length);
        if (file.Length != expected)
        {
            throw new ArgumentException(Errors.WrongLength("state file", expected, file.Length), nameof(file));
        }
    }

    private static void CheckStateLength(ReadOnlySpan<byte> file, Span<byte> state)
    {
        var expected = OpenedLength(file.Length);
        if (state.Length != expected)
        {
            throw new ArgumentException(Errors.WrongLength("state", expected, state.Length), nameof(state));
        }
    }
}
