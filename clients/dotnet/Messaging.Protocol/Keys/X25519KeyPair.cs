using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Keys;

/// <summary>An X25519 key pair whose secret is its 32-byte seed (clamped by libsodium on use), wiped on dispose.</summary>
internal sealed class X25519KeyPair : IDisposable
{
    private readonly SecretBytes secret;
    private readonly byte[] publicKey;

    private X25519KeyPair(SecretBytes secret, byte[]? publicKey = null)
    {
        this.secret = secret;
        if (publicKey is null)
        {
            publicKey = new byte[Sizes.X25519Key];
            Crypto.X25519PublicKey(secret.Span, publicKey);
        }

        this.publicKey = publicKey;
    }

    public ReadOnlySpan<byte> PublicKey => publicKey;

    public static X25519KeyPair FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != Sizes.X25519Key)
        {
            throw new ArgumentException(Errors.WrongLength("X25519 seed", Sizes.X25519Key, seed.Length), nameof(seed));
        }

        return new X25519KeyPair(SecretBytes.CopyOf(seed));
    }

    public static X25519KeyPair Generate(RandomSource random) => new(SecretBytes.Random(random, Sizes.X25519Key));

    /// <summary>DH with a peer's public key; false for a wrong-sized or non-contributory (e.g. low-order) key.</summary>
    public bool TryAgree(ReadOnlySpan<byte> peerPublicKey, Span<byte> shared) =>
        peerPublicKey.Length == Sizes.X25519Key && Crypto.TryX25519(secret.Span, peerPublicKey, shared);

    public X25519KeyPair Clone() => new(secret.Clone(), publicKey);

    /// <summary>The seed, for the local store's serializer only.</summary>
    public byte[] ExportSeed() => secret.Export();

    public void Dispose() => secret.Dispose();
}
