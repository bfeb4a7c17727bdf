using System.Globalization;
using OtpNet;

namespace Messaging.Server.Features.Accounts.SecondFactor;

/// <summary>
/// RFC 6238 TOTP (SHA-1, 6 digits, 30-second steps: what every authenticator app understands) through Otp.NET.
/// One step either side is accepted for clock drift; the caller makes each step usable once.
/// </summary>
internal static class TotpAuthenticator
{
    public const int SecretBytes = 20;
    private const string Issuer = "Messagerie";

    public static byte[] NewSecret() => KeyGeneration.GenerateRandomKey(SecretBytes);

    public static string Encode(byte[] secret) => Base32Encoding.ToString(secret);

    /// <summary>The otpauth URI an app scans. Its label is an opaque account reference, never a name or an email.</summary>
    public static string Uri(byte[] secret, Guid accountId) =>
        string.Create(CultureInfo.InvariantCulture,
            $"otpauth://totp/{Issuer}:{accountId.ToString("N")[..8]}?secret={Encode(secret)}&issuer={Issuer}&algorithm=SHA1&digits=6&period=30");

    /// <summary>The time step the code matches at <paramref name="now"/>, or null.</summary>
    public static long? Match(byte[] secret, string code, DateTimeOffset now)
    {
        var digits = CodeHasher.Normalize(code);
        if (digits.Length != 6 || !digits.All(char.IsAsciiDigit))
        {
            return null;
        }

        var totp = new Totp(secret);
        return totp.VerifyTotp(now.UtcDateTime, digits, out var step, new VerificationWindow(previous: 1, future: 1)) ? step : null;
    }
}
