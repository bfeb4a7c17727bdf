using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Keys;

/// <summary>
/// A device's identity keys (docs/protocol.md §2): the Ed25519 signing key IKs and the X25519 agreement key IKd.
/// The secrets live in wiped memory and cannot be exported through the public API; only the local store's
/// serializer reads them (<see cref="ExportSecrets"/>).
/// </summary>
public sealed class DeviceKeys : IDisposable
{
    private readonly SecretBytes signingSeed;
    private readonly SecretBytes signingSecret;
    private readonly X25519KeyPair agreement;
    private bool disposed;

    private DeviceKeys(SecretBytes signingSeed, X25519KeyPair agreement)
    {
        this.signingSeed = signingSeed;
        this.agreement = agreement;
        signingSecret = new SecretBytes(Sizes.Ed25519SecretKey);
        var signingPublic = new byte[Sizes.Ed25519PublicKey];
        Crypto.Ed25519KeyPairFromSeed(signingSeed.Span, signingPublic, signingSecret.Span);
        Identity = DeviceIdentity.Create(signingPublic, signingSecret.Span, agreement.PublicKey);
    }

    /// <summary>The public identity (129 bytes when encoded) registered with the server.</summary>
    public DeviceIdentity Identity { get; }

    /// <summary>New identity keys from random seeds.</summary>
    public static DeviceKeys Generate() => Generate(RandomSource.Secure);

    internal static DeviceKeys Generate(RandomSource random)
    {
        using var signing = SecretBytes.Random(random, Sizes.Seed);
        using var agreementSeed = SecretBytes.Random(random, Sizes.X25519Key);
        return FromSeeds(signing.Span, agreementSeed.Span);
    }

    /// <summary>Identity keys from explicit 32-byte seeds: for test vectors and the local store only.</summary>
    internal static DeviceKeys FromSeeds(ReadOnlySpan<byte> signingSeed, ReadOnlySpan<byte> agreementSeed)
    {
        if (signingSeed.Length != Sizes.Seed)
        {
            throw new ArgumentException(Errors.WrongLength("signing seed", Sizes.Seed, signingSeed.Length), nameof(signingSeed));
        }

        return new DeviceKeys(SecretBytes.CopyOf(signingSeed), X25519KeyPair.FromSeed(agreementSeed));
    }

    /// <summary>The X25519 identity key pair IKd, for the key agreement.</summary>
    internal X25519KeyPair Agreement
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return agreement;
        }
    }

    /// <summary>Signs with IKs (prekey signatures).</summary>
    internal byte[] Sign(ReadOnlySpan<byte> message)
    {
        var signature = new byte[Sizes.Ed25519Signature];
        Crypto.Sign(signingSecret.Span, message, signature);
        return signature;
    }

    /// <summary>
    /// Proves to the server that this device holds its identity key: a signature over <see cref="SessionProof"/>'s
    /// labelled message only, so this is no general signing oracle (there is none in the public API).
    /// </summary>
    public byte[] ProveSession(ReadOnlySpan<byte> challenge, Guid deviceId)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return Sign(SessionProof.Message(challenge, deviceId));
    }

    /// <summary>The seeds, for the local store's serializer only.</summary>
    internal DeviceKeysState ExportSecrets() => new(signingSeed.Export(), Agreement.ExportSeed());

    internal static DeviceKeys Restore(DeviceKeysState state) => FromSeeds(state.SigningSeed, state.AgreementSeed);

    public void Dispose()
    {
        disposed = true;
        signingSeed.Dispose();
        signingSecret.Dispose();
        agreement.Dispose();
    }
}
