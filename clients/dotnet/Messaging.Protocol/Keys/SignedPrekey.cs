namespace Messaging.Protocol.Keys;

/// <summary>
/// An X25519 signed prekey SPK (docs/protocol.md §2): <c>id</c>, public key and <c>SIGN(IKs, "MSG1-SPK" || u32(id) || pub)</c>.
/// The secret stays inside; the responder uses it for the key agreement and as its first ratchet key.
/// </summary>
public sealed class SignedPrekey : IDisposable
{
    private readonly X25519KeyPair keyPair;
    private readonly byte[] signature;

    private SignedPrekey(uint id, X25519KeyPair keyPair, byte[] signature)
    {
        Id = id;
        this.keyPair = keyPair;
        this.signature = signature;
    }

    public uint Id { get; }

    public ReadOnlySpan<byte> PublicKey => keyPair.PublicKey;

    public ReadOnlySpan<byte> Signature => signature;

    internal X25519KeyPair KeyPair => keyPair;

    public static SignedPrekey Generate(DeviceKeys identity, uint id) => Create(identity, PrekeyIds.Check(id), X25519KeyPair.Generate(RandomSource.Secure));

    /// <summary>A signed prekey from an explicit 32-byte seed: for test vectors only.</summary>
    internal static SignedPrekey FromSeed(DeviceKeys identity, uint id, ReadOnlySpan<byte> seed) => Create(identity, PrekeyIds.Check(id), X25519KeyPair.FromSeed(seed));

    public SignedPrekeyPublic ToPublic() => new(Id, PublicKey.ToArray(), Signature.ToArray());

    internal SignedPrekeyState ExportSecrets() => new(Id, keyPair.ExportSeed(), Signature.ToArray());

    internal static SignedPrekey Restore(SignedPrekeyState state) =>
        new(PrekeyIds.Check(state.Id), X25519KeyPair.FromSeed(state.Seed), state.Signature?.ToArray() ?? throw new FormatException(Errors.Malformed("signed prekey state")));

    public void Dispose() => keyPair.Dispose();

    private static SignedPrekey Create(DeviceKeys identity, uint id, X25519KeyPair keyPair)
    {
        try
        {
            ArgumentNullException.ThrowIfNull(identity);
            return new SignedPrekey(id, keyPair, identity.Sign(PrekeySignature.SignedPrekeyMessage(id, keyPair.PublicKey)));
        }
        catch
        {
            keyPair.Dispose();
            throw;
        }
    }
}

/// <summary>An X25519 one-time prekey OPK (docs/protocol.md §2), published unsigned and used once.</summary>
public sealed class OneTimePrekey : IDisposable
{
    private readonly X25519KeyPair keyPair;

    private OneTimePrekey(uint id, X25519KeyPair keyPair)
    {
        Id = id;
        this.keyPair = keyPair;
    }

    public uint Id { get; }

    public ReadOnlySpan<byte> PublicKey => keyPair.PublicKey;

    internal X25519KeyPair KeyPair => keyPair;

    public static OneTimePrekey Generate(uint id) => new(PrekeyIds.Check(id), X25519KeyPair.Generate(RandomSource.Secure));

    /// <summary>A one-time prekey from an explicit 32-byte seed: for test vectors only.</summary>
    internal static OneTimePrekey FromSeed(uint id, ReadOnlySpan<byte> seed) => new(PrekeyIds.Check(id), X25519KeyPair.FromSeed(seed));

    public OneTimePrekeyPublic ToPublic() => new(Id, PublicKey.ToArray());

    internal OneTimePrekeyState ExportSecrets() => new(Id, keyPair.ExportSeed());

    internal static OneTimePrekey Restore(OneTimePrekeyState state) => FromSeed(state.Id, state.Seed);

    public void Dispose() => keyPair.Dispose();
}

internal static class PrekeyIds
{
    /// <summary>Refuses the reserved id <c>0xFFFFFFFF</c> ("none").</summary>
    public static uint Check(uint id) =>
        id == PrekeySignature.NoPrekey ? throw new ArgumentOutOfRangeException(nameof(id), Errors.ReservedPrekeyId()) : id;
}
