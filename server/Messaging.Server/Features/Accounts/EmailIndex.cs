using System.Security.Cryptography;
using System.Text;
using Messaging.Server.Hosting;

namespace Messaging.Server.Features.Accounts;

/// <summary>
/// A blind index for email addresses: HMAC-SHA-256 of the normalised address, so that the store finds a person by
/// email without holding the email in clear (the address itself is sealed by <see cref="PersonalDataProtector"/>).
/// Its key is derived from the blind-index key for this purpose only, so these hashes cannot be matched against the
/// <see cref="LoginIndex"/> hashes of the same text.
/// </summary>
internal sealed class EmailIndex(ServerKeys keys)
{
    /// <summary>The longest usable address (RFC 5321: a 256-octet path, less its angle brackets).</summary>
    public const int MaximumLength = 254;

    private readonly byte[] key =
        HKDF.DeriveKey(HashAlgorithmName.SHA256, keys.BlindIndexKey, 32, info: Encoding.ASCII.GetBytes("messaging-email-index-v1"));

    /// <summary>A shape check only (one @, something on each side, no spaces): whether it is deliverable is for the mail to say.</summary>
    public static string? Validate(string? email)
    {
        var trimmed = email?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return "An email address is required.";
        }

        if (trimmed.Length > MaximumLength)
        {
            return $"An email address has at most {MaximumLength} characters.";
        }

        var at = trimmed.IndexOf('@', StringComparison.Ordinal);
        var wellFormed = at > 0
            && at < trimmed.Length - 1
            && trimmed.IndexOf('@', at + 1) < 0
            && !trimmed.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))
            && !HasLoneSurrogate(trimmed);
        return wellFormed ? null : "An email address has the form name@domain, without spaces.";
    }

    public byte[] Compute(string email)
    {
        ArgumentNullException.ThrowIfNull(email);
        return HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(Normalise(email)));
    }

    /// <summary>
    /// How the same address typed twice comes out the same: trimmed, composed (NFC), lower-cased. Under
    /// <c>InvariantGlobalization</c> (Directory.Build.props) .NET does not compose non-ASCII text: NFC then only holds
    /// once the server runs with ICU, as for <see cref="LoginIndex"/>.
    /// </summary>
    public static string Normalise(string email) => email.Trim().Normalize(NormalizationForm.FormC).ToLowerInvariant();

    // UTF-8 encoding turns any lone surrogate into U+FFFD: two different malformed addresses would share an index.
    private static bool HasLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }
}
