using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Messaging.Protocol.Primitives;
using Messaging.Server.Hosting;

namespace Messaging.Server.Features.Accounts;

/// <summary>
/// Seals a <see cref="PersonalProfile"/> for storage: <c>version (1) || nonce (24) || XChaCha20-Poly1305-IETF(JSON)</c>
/// under a key derived from the personal-data key. The associated data binds the owner's id, so a sealed profile
/// copied onto another row does not open there. The JSON is padded to a multiple of <see cref="PaddingBlock"/> bytes
/// so that the stored length says little about how long a name or an email is.
/// </summary>
internal sealed class PersonalDataProtector
{
    public const byte Version = 1;

    /// <summary>The plaintext is padded to a multiple of this many bytes.</summary>
    public const int PaddingBlock = 64;

    private const int HeaderBytes = 1 + Sizes.AeadNonce;
    private static readonly byte[] Context = Encoding.ASCII.GetBytes("messaging-pii-v1");

    private readonly byte[] key;

    public PersonalDataProtector(ServerKeys keys) =>
        key = HKDF.DeriveKey(HashAlgorithmName.SHA256, keys.PersonalDataKey, Sizes.AeadKey, info: Context);

    public byte[] Protect(PersonalProfile profile, Guid ownerId)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var padded = Pad(JsonSerializer.SerializeToUtf8Bytes(profile));
        try
        {
            var sealedData = new byte[HeaderBytes + padded.Length + Sizes.AeadTag];
            sealedData[0] = Version;
            var nonce = sealedData.AsSpan(1, Sizes.AeadNonce);
            Crypto.RandomBytes(nonce);
            Crypto.AeadEncrypt(key, nonce, AssociatedData(ownerId), padded, sealedData.AsSpan(HeaderBytes));
            return sealedData;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(padded);
        }
    }

    /// <summary>Opens what <see cref="Protect"/> sealed for the same owner; throws on any other input.</summary>
    /// <exception cref="CryptographicException">Not a sealed profile, modified, or sealed for another owner or key.</exception>
    public PersonalProfile Unprotect(byte[] sealedData, Guid ownerId)
    {
        ArgumentNullException.ThrowIfNull(sealedData);
        return TryUnprotect(sealedData, ownerId, out var profile)
            ? profile
            : throw new CryptographicException("The personal data does not open: it was modified, or sealed for another owner or under another key.");
    }

    /// <summary>False for anything <see cref="Protect"/> did not seal for this owner under this key.</summary>
    public bool TryUnprotect(ReadOnlySpan<byte> sealedData, Guid ownerId, [NotNullWhen(true)] out PersonalProfile? profile)
    {
        profile = null;
        if (sealedData.Length < HeaderBytes + PaddingBlock + Sizes.AeadTag || sealedData[0] != Version)
        {
            return false;
        }

        var ciphertext = sealedData[HeaderBytes..];
        var padded = new byte[ciphertext.Length - Sizes.AeadTag];
        try
        {
            if (!Crypto.TryAeadDecrypt(key, sealedData.Slice(1, Sizes.AeadNonce), AssociatedData(ownerId), ciphertext, padded)
                || Unpad(padded) is not { } length)
            {
                return false;
            }

            profile = JsonSerializer.Deserialize<PersonalProfile>(padded.AsSpan(0, length));
            return profile is not null;
        }
        catch (JsonException)
        {
            // Authentic but not a profile: only a bug on the sealing side could produce it; refuse it all the same.
            return false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(padded);
        }
    }

    /// <summary><c>"messaging-pii-v1" || version || owner id</c> (the id's 16 bytes in .NET order, as elsewhere on the server).</summary>
    private static byte[] AssociatedData(Guid ownerId) => [.. Context, Version, .. ownerId.ToByteArray()];

    /// <summary>ISO/IEC 7816-4 padding, as libsodium's <c>sodium_pad</c>: a 0x80 byte, then zeros up to the block.</summary>
    private static byte[] Pad(byte[] plaintext)
    {
        var padded = new byte[((plaintext.Length / PaddingBlock) + 1) * PaddingBlock];
        plaintext.CopyTo(padded, 0);
        padded[plaintext.Length] = 0x80;
        CryptographicOperations.ZeroMemory(plaintext);
        return padded;
    }

    /// <summary>The unpadded length, or null when the padding is not well formed.</summary>
    private static int? Unpad(ReadOnlySpan<byte> padded)
    {
        var marker = padded.LastIndexOfAnyExcept((byte)0);
        return marker >= 0 && padded[marker] == 0x80 && padded.Length - marker <= PaddingBlock ? marker : null;
    }
}
