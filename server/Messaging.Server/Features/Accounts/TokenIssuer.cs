using System.Security.Claims;
using Messaging.Contracts;
using Messaging.Server.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Messaging.Server.Features.Accounts;

/// <summary>
/// Issues short-lived access tokens (JWT, HMAC-SHA-256 under the server's signing key). Token times follow the
/// real clock, not the injected <see cref="TimeProvider"/>: the bearer handler validates them against the real clock.
/// </summary>
internal sealed class TokenIssuer(ServerKeys keys, IOptions<MessagingOptions> options)
{
    public const string Issuer = "messaging";
    public const string Audience = "messaging";

    private readonly JsonWebTokenHandler handler = new();

    public SymmetricSecurityKey SigningKey { get; } = new(keys.TokenSigningKey) { KeyId = "v1" };

    /// <summary>
    /// A token for <paramref name="accountId"/>; bound to a device and its session when <paramref name="deviceId"/>
    /// is given, and carrying the completed second factor when there is one.
    /// </summary>
    public TokenResponse Issue(Guid accountId, string kind, Guid? deviceId = null, string? secondFactor = null, Guid? sessionId = null)
    {
        var now = DateTimeOffset.UtcNow;
        var expires = now + options.Value.Tokens.AccessTokenLifetime;
        var claims = new List<Claim>
        {
            new(Caller.SubjectClaim, accountId.ToString()),
            new(Caller.RoleClaim, kind),
            new(JwtRegisteredClaimNames.Jti, Guid.NewGuid().ToString("N")),
        };
        if (deviceId is { } device)
        {
            claims.Add(new Claim(Caller.DeviceClaim, device.ToString()));
        }

        if (secondFactor is not null)
        {
            claims.Add(new Claim(Caller.SecondFactorClaim, secondFactor));
        }

        if (sessionId is { } session)
        {
            claims.Add(new Claim(Caller.SessionClaim, session.ToString()));
        }

        var token = handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(SigningKey, SecurityAlgorithms.HmacSha256),
        });
        return new TokenResponse(token, expires.ToUnixTimeMilliseconds(), accountId, deviceId);
    }
}
