using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Sessions;

/// <summary>The Double Ratchet's key derivations (docs/protocol.md §5). Outputs may alias inputs.</summary>
internal static class RatchetKdf
{
    public const int KeyLength = 32;

    /// <summary><c>KDF_RK(rk, dh) = HKDF(salt = rk, ikm = dh, info = "MSG1 ratchet", L = 64) → (rk', ck)</c>.</summary>
    public static void Root(ReadOnlySpan<byte> rootKey, ReadOnlySpan<byte> dh, Span<byte> nextRootKey, Span<byte> chainKey)
    {
        Span<byte> okm = stackalloc byte[2 * KeyLength];
        try
        {
            Crypto.Hkdf(rootKey, dh, "MSG1 ratchet"u8, okm);
            okm[..KeyLength].CopyTo(nextRootKey);
            okm[KeyLength..].CopyTo(chainKey);
        }
        finally
        {
            Crypto.Wipe(okm);
        }
    }

    /// <summary><c>KDF_CK(ck) = (ck' = HMAC(ck, 0x02), mk = HMAC(ck, 0x01))</c>.</summary>
    public static void Chain(ReadOnlySpan<byte> chainKey, Span<byte> nextChainKey, Span<byte> messageKey)
    {
        Span<byte> next = stackalloc byte[KeyLength];
        Span<byte> message = stackalloc byte[KeyLength];
        try
        {
            Crypto.Hmac(chainKey, [0x01], message);
            Crypto.Hmac(chainKey, [0x02], next);
            next.CopyTo(nextChainKey);
            message.CopyTo(messageKey);
        }
        finally
        {
            Crypto.Wipe(next);
            Crypto.Wipe(message);
        }
    }

    /// <summary><c>MESSAGE_KEYS(mk) = HKDF(salt = ZERO(32), ikm = mk, info = "MSG1 message", L = 56) → (key, nonce)</c>.</summary>
    public static void MessageKeys(ReadOnlySpan<byte> messageKey, Span<byte> key, Span<byte> nonce)
    {
        Span<byte> okm = stackalloc byte[Sizes.AeadKey + Sizes.AeadNonce];
        Span<byte> salt = stackalloc byte[KeyLength];
        salt.Clear();
        try
        {
            Crypto.Hkdf(salt, messageKey, "MSG1 message"u8, okm);
            okm[..Sizes.AeadKey].CopyTo(key);
            okm[Sizes.AeadKey..].CopyTo(nonce);
        }
        finally
        {
            Crypto.Wipe(okm);
        }
    }
}
