using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Keys;

/// <summary>
/// An ML-KEM-768 prekey (docs/protocol.md §2): the last-resort <c>PQSPK</c> or a one-time <c>PQOPK</c>, both signed
/// as <c>SIGN(IKs, "MSG1-PQPK" || u32(id) || pub)</c>. Last-resort and one-time ML-KEM prekeys share one id space.
/// The secret is derived from a 64-byte seed, both kept in wiped memory.
/// </summary>
public sealed class KemPrekey : IDisposable
{
    private readonly SecretBytes seed;
    private readonly SecretBytes secretKey;
    private readonly byte[] publicKey;
    private readonly byte[] signature;

    private KemPrekey(uint id, bool lastResort, SecretBytes seed, byte[]? signature, DeviceKeys? signer)
    {
        Id = id;
        IsLastResort = lastResort;
        this.seed = seed;
        secretKey = new SecretBytes(Sizes.KemSecretKey);
        publicKey = new byte[Sizes.KemPublicKey];
        try
        {
            Crypto.KemKeyPairFromSeed(seed.Span, publicKey, secretKey.Span);
            this.signature = signature ?? signer!.Sign(PrekeySignature.KemPrekeyMessage(id, publicKey));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public uint Id { get; }

    /// <summary>True for the last-resort key: it is never deleted after use.</summary>
    public bool IsLastResort { get; }

    public ReadOnlySpan<byte> PublicKey => publicKey;

    public ReadOnlySpan<byte> Signature => signature;

    public static KemPrekey Generate(DeviceKeys identity, uint id, bool lastResort)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return new KemPrekey(PrekeyIds.Check(id), lastResort, SecretBytes.Random(RandomSource.Secure, Sizes.KemSeed), null, identity);
    }

    /// <summary>An ML-KEM prekey from an explicit 64-byte seed: for test vectors only.</summary>
    internal static KemPrekey FromSeed(DeviceKeys identity, uint id, bool lastResort, ReadOnlySpan<byte> seed)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return new KemPrekey(PrekeyIds.Check(id), lastResort, CheckedSeed(seed), null, identity);
    }

    public KemPrekeyPublic ToPublic() => new(Id, PublicKey.ToArray(), Signature.ToArray(), IsLastResort);

    /// <summary>KEM.Dec; a wrong ciphertext gives a pseudo-random secret (the AEAD then fails).</summary>
    internal bool TryDecapsulate(ReadOnlySpan<byte> ciphertext, Span<byte> sharedSecret) =>
        Crypto.TryKemDecapsulate(secretKey.Span, ciphertext, sharedSecret);

    internal KemPrekeyState ExportSecrets() => new(Id, seed.Export(), Signature.ToArray(), IsLastResort);

    internal static KemPrekey Restore(KemPrekeyState state) =>
        new(PrekeyIds.Check(state.Id), state.LastResort, CheckedSeed(state.Seed), state.Signature?.ToArray() ?? throw new FormatException(Errors.Malformed("ML-KEM prekey state")), null);

    public void Dispose()
    {
        seed.Dispose();
        secretKey.Dispose();
    }

    private static SecretBytes CheckedSeed(ReadOnlySpan<byte> seed) =>
        seed.Length == Sizes.KemSeed
            ? SecretBytes.CopyOf(seed)
            : throw new ArgumentException(Errors.WrongLength("ML-KEM seed", Sizes.KemSeed, seed.Length), nameof(seed));
}
