using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Messaging.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Features.Accounts.Sessions;

/// <summary>
/// Challenges a device signs to open or refresh a session. They are stateless (any node can check one):
/// <c>version || expiry (u64 Unix ms) || 16 random bytes || HMAC-SHA-256 of those under a server key</c>. A challenge
/// may be signed more than once within its two minutes, but each use also needs a credential that is itself single
/// use or short-lived (a refresh token, a verified account token), so a captured proof opens nothing new.
/// </summary>
internal sealed class SessionChallenges
{
    private const byte Version = 1;
    private const int BodyLength = 1 + 8 + 16;
    private const int Length = BodyLength + 32;
    private readonly byte[] key;
    private readonly IOptions<MessagingOptions> options;
    private readonly TimeProvider time;

    public SessionChallenges(ServerKeys keys, IOptions<MessagingOptions> options, TimeProvider time)
    {
        key = HKDF.DeriveKey(HashAlgorithmName.SHA256, keys.TokenSigningKey, 32, info: Encoding.ASCII.GetBytes("messaging-session-challenge-v1"));
        this.options = options;
        this.time = time;
    }

    public (byte[] Challenge, DateTimeOffset ExpiresAt) Issue()
    {
        var expiresAt = time.GetUtcNow() + options.Value.Tokens.ChallengeLifetime;
        var challenge = new byte[Length];
        challenge[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(challenge.AsSpan(1), expiresAt.ToUnixTimeMilliseconds());
        RandomNumberGenerator.Fill(challenge.AsSpan(9, 16));
        HMACSHA256.HashData(key, challenge.AsSpan(0, BodyLength), challenge.AsSpan(BodyLength));
        return (challenge, expiresAt);
    }

    /// <summary>Whether this server issued the challenge and it has not expired.</summary>
    public bool IsValid(byte[]? challenge)
    {
        if (challenge is not { Length: Length } || challenge[0] != Version)
        {
            return false;
        }

        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, challenge.AsSpan(0, BodyLength), mac);
        return CryptographicOperations.FixedTimeEquals(mac, challenge.AsSpan(BodyLength))
            && BinaryPrimitives.ReadInt64BigEndian(challenge.AsSpan(1)) > time.GetUtcNow().ToUnixTimeMilliseconds();
    }
}
