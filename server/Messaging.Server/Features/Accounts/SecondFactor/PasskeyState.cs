using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Messaging.Server.Hosting;

namespace Messaging.Server.Features.Accounts.SecondFactor;

/// <summary>
/// What a passkey ceremony must remember between its two requests (the options sent to the browser, challenge
/// included), sealed into an opaque string the client carries back, so that any server node can finish what another
/// began and no node keeps anything in memory:
/// <c>version || ceremony || account id || expiry (i64 Unix ms) || options JSON || HMAC-SHA-256 of all that</c>,
/// base64url. The MAC key is derived from the token signing key, which every node shares. The options are not secret
/// (the browser has them), only unforgeable; the ceremony byte keeps a registration state out of a sign-in and back.
/// </summary>
internal sealed class PasskeyState
{
    /// <summary>Time to answer the browser's prompt; also the timeout given to the browser.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);

    private const byte Version = 1;
    private const int HeaderLength = 1 + 1 + 16 + 8;
    private const int MacLength = 32;

    // Options with a few credentials are well under 2 KB; the bound keeps a forged state from costing much to check.
    private const int MaxStateLength = 16 * 1024;

    private readonly byte[] key;
    private readonly TimeProvider time;

    public PasskeyState(ServerKeys keys, TimeProvider time)
    {
        key = HKDF.DeriveKey(HashAlgorithmName.SHA256, keys.TokenSigningKey, 32, info: Encoding.ASCII.GetBytes("messaging-passkey-state-v1"));
        this.time = time;
    }

    public enum Ceremony : byte
    {
        Registration = 1,
        Assertion = 2,
    }

    /// <summary>Why a state was refused (for the log: these say nothing about the person).</summary>
    public enum Refusal
    {
        None,
        Malformed,
        Forged,
        OtherCeremony,
        OtherAccount,
        Expired,
    }

    /// <summary>The moment a state sealed now stops being accepted.</summary>
    public DateTimeOffset ExpiryOfNew => time.GetUtcNow() + Lifetime;

    public string Seal(Ceremony ceremony, Guid accountId, DateTimeOffset expiresAt, string optionsJson)
    {
        var json = Encoding.UTF8.GetBytes(optionsJson);
        var state = new byte[HeaderLength + json.Length + MacLength];
        state[0] = Version;
        state[1] = (byte)ceremony;
        accountId.TryWriteBytes(state.AsSpan(2, 16), bigEndian: true, out _);
        BinaryPrimitives.WriteInt64BigEndian(state.AsSpan(18, 8), expiresAt.ToUnixTimeMilliseconds());
        json.CopyTo(state.AsSpan(HeaderLength));
        HMACSHA256.HashData(key, state.AsSpan(0, state.Length - MacLength), state.AsSpan(state.Length - MacLength));
        return Base64Url.EncodeToString(state);
    }

    /// <summary>The options JSON sealed in <paramref name="state"/>, when this server sealed it for this ceremony and account and it has not expired.</summary>
    public (string? OptionsJson, Refusal Refusal) Open(string? state, Ceremony ceremony, Guid accountId)
    {
        if (string.IsNullOrEmpty(state) || state.Length > MaxStateLength)
        {
            return (null, Refusal.Malformed);
        }

        if (TokenHash.FromBase64Url(state) is not { Length: > HeaderLength + MacLength } bytes)
        {
            return (null, Refusal.Malformed);
        }

        var body = bytes.AsSpan(0, bytes.Length - MacLength);
        Span<byte> mac = stackalloc byte[MacLength];
        HMACSHA256.HashData(key, body, mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, bytes.AsSpan(bytes.Length - MacLength, MacLength)) || body[0] != Version)
        {
            return (null, Refusal.Forged);
        }

        if (body[1] != (byte)ceremony)
        {
            return (null, Refusal.OtherCeremony);
        }

        if (new Guid(body.Slice(2, 16), bigEndian: true) != accountId)
        {
            return (null, Refusal.OtherAccount);
        }

        return BinaryPrimitives.ReadInt64BigEndian(body.Slice(18, 8)) <= time.GetUtcNow().ToUnixTimeMilliseconds()
            ? (null, Refusal.Expired)
            : (Encoding.UTF8.GetString(body[HeaderLength..]), Refusal.None);
    }
}
