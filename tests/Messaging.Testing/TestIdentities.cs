using Messaging.Contracts;
using Messaging.Protocol.Keys;
using Messaging.Protocol.Primitives;

namespace Messaging.Testing;

/// <summary>Real v1 device identities (docs/protocol.md §2) for tests, from random keys.</summary>
public static class TestIdentities
{
    public static TestIdentity NewIdentity() => new();
}

/// <summary>
/// A device identity whose signing secret the test keeps, so that it can sign prekeys (or sign them wrongly). The
/// prekeys' own secrets are thrown away: the server only ever sees public parts.
/// </summary>
public sealed class TestIdentity
{
    private readonly byte[] signingSecret = new byte[Sizes.Ed25519SecretKey];

    public TestIdentity()
    {
        var signingPublic = new byte[Sizes.Ed25519PublicKey];
        Crypto.Ed25519KeyPairFromSeed(Crypto.RandomBytes(Sizes.Seed), signingPublic, signingSecret);
        Identity = DeviceIdentity.Create(signingPublic, signingSecret, X25519Public());
    }

    /// <summary>The id of the last-resort KEM prekey in <see cref="Upload"/>: one-time ids start far below it.</summary>
    public const uint LastResortId = 1_000_000;

    public DeviceIdentity Identity { get; }

    /// <summary>The 129 bytes registered with the server.</summary>
    public byte[] Encoded => Identity.ToArray();

    /// <summary>An X25519 signed prekey, signed by this identity.</summary>
    public SignedPrekeyInfo SignedPrekey(uint id)
    {
        var publicKey = X25519Public();
        return new SignedPrekeyInfo(id, publicKey, Sign(PrekeySignature.SignedPrekeyMessage(id, publicKey)));
    }

    /// <summary>An ML-KEM-768 prekey (last-resort or one-time: the same form), signed by this identity.</summary>
    public SignedPrekeyInfo KemPrekey(uint id)
    {
        var publicKey = new byte[Sizes.KemPublicKey];
        Crypto.KemKeyPairFromSeed(Crypto.RandomBytes(Sizes.KemSeed), publicKey, new byte[Sizes.KemSecretKey]);
        return new SignedPrekeyInfo(id, publicKey, Sign(PrekeySignature.KemPrekeyMessage(id, publicKey)));
    }

    public static OneTimePrekeyInfo OneTimePrekey(uint id) => new(id, X25519Public());

    /// <summary>
    /// An upload: the signed prekey (id 1) and the last-resort KEM prekey (<see cref="LastResortId"/>) unless left out, and one-time prekeys of each
    /// kind with ids from <paramref name="firstId"/>.
    /// </summary>
    public UploadPrekeysRequest Upload(int oneTime = 0, int kemOneTime = 0, uint firstId = 1, bool withSignedPrekeys = true) =>
        new(
            withSignedPrekeys ? SignedPrekey(1) : null,
            withSignedPrekeys ? KemPrekey(LastResortId) : null,
            [.. Enumerable.Range(0, oneTime).Select(i => OneTimePrekey(firstId + (uint)i))],
            [.. Enumerable.Range(0, kemOneTime).Select(i => KemPrekey(firstId + (uint)i))]);

    /// <summary>Proves the device holds this identity, for a session challenge (docs/protocol.md §2).</summary>
    public byte[] SignSessionChallenge(byte[] challenge, Guid deviceId) => Sign(SessionProof.Message(challenge, deviceId));

    private byte[] Sign(byte[] message)
    {
        var signature = new byte[Sizes.Ed25519Signature];
        Crypto.Sign(signingSecret, message, signature);
        return signature;
    }

    private static byte[] X25519Public()
    {
        var publicKey = new byte[Sizes.X25519Key];
        Crypto.X25519PublicKey(Crypto.RandomBytes(Sizes.X25519Key), publicKey);
        return publicKey;
    }
}
