using System.Security.Cryptography;
using System.Text;
using Messaging.Server.Hosting;

namespace Messaging.Server.Features.Accounts.SecondFactor;

/// <summary>
/// Hashes short secrets (emailed codes, recovery codes) with a server key, so that a copy of the database alone does
/// not let anyone try the million 6-digit codes offline. Long random tokens (invitations, refresh tokens) only need
/// <see cref="TokenHash"/>.
/// </summary>
internal sealed class CodeHasher
{
    private readonly byte[] key;

    public CodeHasher(ServerKeys keys) =>
        key = HKDF.DeriveKey(HashAlgorithmName.SHA256, keys.BlindIndexKey, 32, info: Encoding.ASCII.GetBytes("messaging-code-hash-v1"));

    public byte[] Hash(string purpose, Guid accountId, string code) =>
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{purpose}\n{accountId:N}\n{Normalize(code)}"));

    /// <summary>Codes are typed by people: spaces and dashes do not count, and letters are case-insensitive.</summary>
    public static string Normalize(string code) =>
        new([.. code.Where(c => !char.IsWhiteSpace(c) && c != '-').Select(char.ToLowerInvariant)]);
}

/// <summary>SHA-256 of a high-entropy random token: what the store keeps instead of the token.</summary>
internal static class TokenHash
{
    public static byte[] Of(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>A new random token of 32 bytes (256 bits), base64url without padding.</summary>
    public static string NewToken() => Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// A token that names what it is for: <c>id (16 bytes) || 32 random bytes</c>, base64url. The id lets the server
    /// find the record (a session family, an account) without a lookup by secret; the random part is the secret.
    /// </summary>
    public static string NewTokenFor(Guid id) => Base64Url([.. id.ToByteArray(), .. RandomNumberGenerator.GetBytes(32)]);

    /// <summary>The id inside a <see cref="NewTokenFor"/> token, or null when the token does not have that shape.</summary>
    public static Guid? IdOf(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 128)
        {
            return null;
        }

        return FromBase64Url(token) is { Length: 48 } bytes ? new Guid(bytes.AsSpan(0, 16)) : null;
    }

    /// <summary>
    /// The bytes of base64url <paramref name="text"/>, or null when it is not base64url. What a client sends is checked
    /// first: <c>Base64Url.TryDecodeFromChars</c> returns false only for a destination too small, and throws on a
    /// character outside the alphabet, which made a malformed token a 500 instead of a refusal.
    /// </summary>
    public static byte[]? FromBase64Url(string text) =>
        System.Buffers.Text.Base64Url.IsValid(text, out _) ? System.Buffers.Text.Base64Url.DecodeFromChars(text) : null;

    public static string Base64Url(ReadOnlySpan<byte> bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
