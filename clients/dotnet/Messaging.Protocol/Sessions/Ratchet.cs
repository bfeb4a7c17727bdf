using Messaging.Protocol.Keys;
using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Sessions;

/// <summary>
/// The Double Ratchet's state (docs/protocol.md §5). <see cref="TryReceive"/> mutates this state even when it fails
/// half-way: callers run it on a <see cref="Clone"/> and keep the clone only if the message authenticates.
/// </summary>
internal sealed class Ratchet : IDisposable
{
    public const int MaxSkip = 1000;
    private const int KeyLength = RatchetKdf.KeyLength;

    private readonly SecretBytes rootKey;
    private readonly SkippedKeys skipped;
    private X25519KeyPair sendingKey;
    private byte[]? remoteKey;
    private SecretBytes? sendingChain;
    private SecretBytes? receivingChain;
    private uint sendCount;
    private uint receiveCount;
    private uint previousCount;

    private Ratchet(SecretBytes rootKey, X25519KeyPair sendingKey, byte[]? remoteKey, SecretBytes? sendingChain, SecretBytes? receivingChain, SkippedKeys skipped)
    {
        this.rootKey = rootKey;
        this.sendingKey = sendingKey;
        this.remoteKey = remoteKey;
        this.sendingChain = sendingChain;
        this.receivingChain = receivingChain;
        this.skipped = skipped;
    }

    public ReadOnlySpan<byte> SendingPublicKey => sendingKey.PublicKey;

    public int SkippedCount => skipped.Count;

    /// <summary>Alice: <c>DHs = new</c>, <c>DHr = SPK_B</c>, <c>(RK, CKs) = KDF_RK(SK, DH(DHs, DHr))</c>.</summary>
    public static Ratchet? TryInitiator(SecretBytes sharedKey, ReadOnlySpan<byte> remoteSignedPrekey, RandomSource random)
    {
        var ratchet = new Ratchet(sharedKey.Clone(), X25519KeyPair.Generate(random), remoteSignedPrekey.ToArray(), null, null, new SkippedKeys());
        if (!ratchet.TryRootStep(ref ratchet.sendingChain))
        {
            ratchet.Dispose();
            return null;
        }

        return ratchet;
    }

    /// <summary>Bob: <c>DHs = SPK_B</c>, <c>DHr = none</c>, <c>RK = SK</c>, no chains yet.</summary>
    public static Ratchet Responder(SecretBytes sharedKey, X25519KeyPair signedPrekey) =>
        new(sharedKey.Clone(), signedPrekey.Clone(), null, null, null, new SkippedKeys());

    /// <summary>Advances the sending chain: the ratchet header's <c>(PN, N)</c> and the message key.</summary>
    public (uint Previous, uint Counter) NextSendingKey(Span<byte> messageKey)
    {
        if (sendingChain is null)
        {
            throw new InvalidOperationException(Errors.CannotSendYet());
        }

        if (sendCount == uint.MaxValue)
        {
            throw new InvalidOperationException(Errors.ChainExhausted());
        }

        RatchetKdf.Chain(sendingChain.Span, sendingChain.Span, messageKey);
        var counter = sendCount;
        sendCount++;
        return (previousCount, counter);
    }

    /// <summary>Signal's <c>RatchetDecrypt</c> up to the message key; on success the key is written to <paramref name="messageKey"/>.</summary>
    public DecryptFailure TryReceive(ReadOnlySpan<byte> ratchetKey, uint previous, uint counter, DateTimeOffset now, RandomSource random, Span<byte> messageKey)
    {
        skipped.Prune(now);
        using (var stored = skipped.Take(ratchetKey, counter))
        {
            if (stored is not null)
            {
                stored.Span.CopyTo(messageKey);
                return DecryptFailure.None;
            }
        }

        if (remoteKey is null || !ratchetKey.SequenceEqual(remoteKey))
        {
            if (!TrySkip(previous, now))
            {
                return DecryptFailure.TooManySkipped;
            }

            if (!TryStep(ratchetKey, random))
            {
                return DecryptFailure.InvalidKey;
            }
        }

        if (counter < receiveCount || counter == uint.MaxValue)
        {
            return DecryptFailure.NotAuthentic;
        }

        if (!TrySkip(counter, now))
        {
            return DecryptFailure.TooManySkipped;
        }

        RatchetKdf.Chain(receivingChain!.Span, receivingChain.Span, messageKey);
        receiveCount++;
        skipped.Prune(now);
        return DecryptFailure.None;
    }

    public Ratchet Clone() =>
        new(rootKey.Clone(), sendingKey.Clone(), remoteKey, sendingChain?.Clone(), receivingChain?.Clone(), skipped.Clone())
        {
            sendCount = sendCount,
            receiveCount = receiveCount,
            previousCount = previousCount,
        };

    public RatchetState Export() => new(
        rootKey.Export(), sendingKey.ExportSeed(), remoteKey?.ToArray(), sendingChain?.Export(), receivingChain?.Export(),
        sendCount, receiveCount, previousCount, skipped.Export());

    public static Ratchet Restore(RatchetState state)
    {
        if (state.RootKey?.Length != KeyLength || state.SendingKeySeed is null
            || state.RemoteKey is { Length: not Sizes.X25519Key } || state.SendingChainKey is { Length: not KeyLength }
            || state.ReceivingChainKey is { Length: not KeyLength } || state.SkippedKeys is null)
        {
            throw new FormatException(Errors.Malformed("ratchet state"));
        }

        return new Ratchet(
            SecretBytes.CopyOf(state.RootKey), X25519KeyPair.FromSeed(state.SendingKeySeed), state.RemoteKey?.ToArray(),
            Copy(state.SendingChainKey), Copy(state.ReceivingChainKey), SkippedKeys.Restore(state.SkippedKeys))
        {
            sendCount = state.SendCount,
            receiveCount = state.ReceiveCount,
            previousCount = state.PreviousCount,
        };
    }

    public void Dispose()
    {
        rootKey.Dispose();
        sendingKey.Dispose();
        sendingChain?.Dispose();
        receivingChain?.Dispose();
        skipped.Dispose();
    }

    private static SecretBytes? Copy(byte[]? key) => key is null ? null : SecretBytes.CopyOf(key);

    /// <summary>Signal's <c>SkipMessageKeys</c>: refuses to skip more than <see cref="MaxSkip"/> keys in the current chain.</summary>
    private bool TrySkip(uint until, DateTimeOffset now)
    {
        if ((long)receiveCount + MaxSkip < until)
        {
            return false;
        }

        if (receivingChain is not null)
        {
            while (receiveCount < until)
            {
                var messageKey = new SecretBytes(KeyLength);
                RatchetKdf.Chain(receivingChain.Span, receivingChain.Span, messageKey.Span);
                skipped.Add(remoteKey!, receiveCount, messageKey, now);
                receiveCount++;
            }
        }

        return true;
    }

    /// <summary>Signal's <c>DHRatchet</c>: a receiving chain from the new remote key, then a new key pair and sending chain.</summary>
    private bool TryStep(ReadOnlySpan<byte> ratchetKey, RandomSource random)
    {
        previousCount = sendCount;
        sendCount = 0;
        receiveCount = 0;
        remoteKey = ratchetKey.ToArray();
        if (!TryRootStep(ref receivingChain))
        {
            return false;
        }

        sendingKey.Dispose();
        sendingKey = X25519KeyPair.Generate(random);
        return TryRootStep(ref sendingChain);
    }

    /// <summary><c>RK, chain = KDF_RK(RK, DH(DHs, DHr))</c>; false if the DH is non-contributory.</summary>
    private bool TryRootStep(ref SecretBytes? chain)
    {
        Span<byte> dh = stackalloc byte[Sizes.X25519Key];
        try
        {
            if (!sendingKey.TryAgree(remoteKey, dh))
            {
                return false;
            }

            chain ??= new SecretBytes(KeyLength);
            RatchetKdf.Root(rootKey.Span, dh, rootKey.Span, chain.Span);
            return true;
        }
        finally
        {
            Crypto.Wipe(dh);
        }
    }
}
