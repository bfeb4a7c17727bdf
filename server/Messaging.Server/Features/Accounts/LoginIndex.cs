using System.Security.Cryptography;
using System.Text;
using Messaging.Server.Hosting;

namespace Messaging.Server.Features.Accounts;

/// <summary>
/// A blind index: HMAC-SHA-256 of the normalised login under a server key kept outside the database. The store can
/// find an account by login without ever holding the login (often an email address) in clear.
/// </summary>
internal sealed class LoginIndex(ServerKeys keys)
{
    public const int MaximumLength = 320;

    public static string? Validate(string? login) => login?.Trim() switch
    {
        null or "" => "A login is required.",
        { Length: > MaximumLength } => $"A login has at most {MaximumLength} characters.",
        _ => null,
    };

    public byte[] Compute(string login)
    {
        var normalised = login.Trim().Normalize(NormalizationForm.FormC).ToLowerInvariant();
        return HMACSHA256.HashData(keys.BlindIndexKey, Encoding.UTF8.GetBytes("login:" + normalised));
    }
}
