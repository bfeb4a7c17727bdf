using System.Diagnostics.CodeAnalysis;
using Messaging.Protocol.Keys;
using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Sessions;

/// <summary>
/// One end-to-end session with one device (docs/protocol.md §4–§5). <see cref="Encrypt"/> makes envelopes;
/// <see cref="TryDecrypt(ReadOnlySpan{byte}, DateTimeOffset, out DecryptedMessage)"/> works on a copy of the ratchet
/// and keeps it only if the message authenticates, so a failed message changes nothing. Not thread-safe.
/// </summary>
public sealed class Session : IDisposable
{
    private readonly RandomSource random;
    private readonly byte[] associatedData;
    private readonly byte[] baseKey;
    private byte[]? pendingPrekeyHeader;
    private Ratchet ratchet;

    private Session(
        DeviceIdentity local, DeviceIdentity remote, bool initiator, byte[] baseKey, byte[]? pendingPrekeyHeader, Ratchet ratchet, RandomSource random)
    {
        LocalIdentity = local;
        RemoteIdentity = remote;
        IsInitiator = initiator;
        associatedData = initiator ? KeyAgreement.AssociatedData(local, remote) : KeyAgreement.AssociatedData(remote, local);
        this.baseKey = baseKey;
        this.pendingPrekeyHeader = pendingPrekeyHeader;
        this.ratchet = ratchet;
        this.random = random;
    }

    public DeviceIdentity LocalIdentity { get; }

    public DeviceIdentity RemoteIdentity { get; }

    /// <summary>True for the side that started the session from a bundle.</summary>
    public bool IsInitiator { get; }

    /// <summary>True while the initiator has not heard back: its envelopes carry the prekey header (type 0x01).</summary>
    public bool SendsPrekeyMessages => pendingPrekeyHeader is not null;

    /// <summary>EK.pub of the session's key agreement; a prekey message with the same EK belongs to this session.</summary>
    internal ReadOnlySpan<byte> BaseKey => baseKey;

    internal int SkippedKeyCount => ratchet.SkippedCount;

    /// <summary>Starts a session from a verified bundle (PQXDH, §4); false if a DH is non-contributory.</summary>
    public static bool TryInitiate(DeviceKeys local, VerifiedPrekeyBundle bundle, [NotNullWhen(true)] out Session? session) =>
        TryInitiate(local, bundle, RandomSource.Secure, out session);

    internal static bool TryInitiate(DeviceKeys local, VerifiedPrekeyBundle bundle, RandomSource random, [NotNullWhen(true)] out Session? session)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(bundle);
        session = null;
        if (!KeyAgreement.TryInitiate(local, bundle, random, out var sharedKey, out var prekeyHeader))
        {
            return false;
        }

        using (sharedKey)
        {
            var ratchet = Ratchet.TryInitiator(sharedKey!, bundle.SignedPrekeyPublicKey, random);
            if (ratchet is null)
            {
                return false;
            }

            var baseKey = prekeyHeader.AsSpan(DeviceIdentity.Length, Sizes.X25519Key).ToArray();
            session = new Session(local.Identity, bundle.Identity, true, baseKey, prekeyHeader, ratchet, random);
            return true;
        }
    }

    /// <summary>The responder's new session from a prekey header; it must still decrypt its first message.</summary>
    internal static bool TryRespond(
        DeviceKeys local, PrekeyHeader header, SignedPrekey signedPrekey, OneTimePrekey? oneTimePrekey, KemPrekey kemPrekey, RandomSource random,
        [NotNullWhen(true)] out Session? session)
    {
        session = null;
        if (!KeyAgreement.TryRespond(local, header, signedPrekey, oneTimePrekey, kemPrekey, out var sharedKey))
        {
            return false;
        }

        using (sharedKey)
        {
            var ratchet = Ratchet.Responder(sharedKey!, signedPrekey.KeyPair);
            session = new Session(local.Identity, header.Identity, false, header.BaseKey.ToArray(), null, ratchet, random);
            return true;
        }
    }

    /// <summary>Pads and encrypts one plaintext (§5.1, §5.3). <paramref name="now"/> only expires old skipped keys.</summary>
    public byte[] Encrypt(PlaintextKind kind, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        Plaintext.CheckArguments(kind, body);
        Span<byte> messageKey = stackalloc byte[RatchetKdf.KeyLength];
        Span<byte> key = stackalloc byte[Sizes.AeadKey];
        Span<byte> nonce = stackalloc byte[Sizes.AeadNonce];
        var padded = new byte[Plaintext.PaddedLength(body.Length)];
        try
        {
            var (previous, counter) = ratchet.NextSendingKey(messageKey);
            var type = pendingPrekeyHeader is null ? EnvelopeType.Message : EnvelopeType.Prekey;
            var headerLength = Envelope.HeaderLengthOf(type);
            var envelope = new byte[headerLength + padded.Length + Sizes.AeadTag];
            Envelope.WriteHeader(envelope, pendingPrekeyHeader, ratchet.SendingPublicKey, previous, counter);
            Plaintext.Pad(kind, body, padded);
            RatchetKdf.MessageKeys(messageKey, key, nonce);
            Crypto.AeadEncrypt(key, nonce, [.. associatedData, .. envelope.AsSpan(0, headerLength)], padded, envelope.AsSpan(headerLength));
            return envelope;
        }
        finally
        {
            Crypto.Wipe(messageKey);
            Crypto.Wipe(key);
            Crypto.Wipe(padded);
        }
    }

    /// <summary>Decrypts one envelope of this session; false (and no state change) if it does not authenticate.</summary>
    public bool TryDecrypt(ReadOnlySpan<byte> envelope, DateTimeOffset now, [NotNullWhen(true)] out DecryptedMessage? message)
    {
        message = null;
        return Envelope.TryParse(envelope, out var parsed) && Decrypt(parsed!, now, out message) == DecryptFailure.None;
    }

    internal DecryptFailure Decrypt(Envelope envelope, DateTimeOffset now, out DecryptedMessage? message)
    {
        message = null;
        if (envelope.Prekey is { } prekey
            && (IsInitiator || !prekey.BaseKey.SequenceEqual(baseKey) || !prekey.Identity.Equals(RemoteIdentity)))
        {
            return DecryptFailure.NotAuthentic;
        }

        Span<byte> messageKey = stackalloc byte[RatchetKdf.KeyLength];
        Span<byte> key = stackalloc byte[Sizes.AeadKey];
        Span<byte> nonce = stackalloc byte[Sizes.AeadNonce];
        var padded = new byte[envelope.Ciphertext.Length - Sizes.AeadTag];
        var next = ratchet.Clone();
        try
        {
            var failure = next.TryReceive(envelope.RatchetKey, envelope.PreviousCounter, envelope.Counter, now, random, messageKey);
            if (failure != DecryptFailure.None)
            {
                return failure;
            }

            RatchetKdf.MessageKeys(messageKey, key, nonce);
            if (!Crypto.TryAeadDecrypt(key, nonce, [.. associatedData, .. envelope.Header], envelope.Ciphertext, padded))
            {
                return DecryptFailure.NotAuthentic;
            }

            if (!Plaintext.TryUnpad(padded, out var kind, out var body))
            {
                return DecryptFailure.Malformed;
            }

            (ratchet, next) = (next, ratchet);
            pendingPrekeyHeader = null;
            message = new DecryptedMessage(kind, body);
            return DecryptFailure.None;
        }
        finally
        {
            next.Dispose();
            Crypto.Wipe(messageKey);
            Crypto.Wipe(key);
            Crypto.Wipe(padded);
        }
    }

    internal SessionState Export() => new(
        SessionState.CurrentVersion, LocalIdentity.ToArray(), RemoteIdentity.ToArray(), IsInitiator, baseKey.ToArray(),
        pendingPrekeyHeader?.ToArray(), ratchet.Export());

    internal static Session Restore(SessionState state, RandomSource random)
    {
        if (state.Version != SessionState.CurrentVersion)
        {
            throw new FormatException(Errors.UnsupportedStateVersion(state.Version));
        }

        if (!DeviceIdentity.TryParse(state.LocalIdentity, out var local) || !DeviceIdentity.TryParse(state.RemoteIdentity, out var remote)
            || state.BaseKey?.Length != Sizes.X25519Key || state.PendingPrekeyHeader is { Length: not PrekeyHeader.Length }
            || (state.PendingPrekeyHeader is not null && !state.Initiator) || state.Ratchet is null)
        {
            throw new FormatException(Errors.Malformed("session state"));
        }

        return new Session(
            local!, remote!, state.Initiator, state.BaseKey.ToArray(), state.PendingPrekeyHeader?.ToArray(), Ratchet.Restore(state.Ratchet), random);
    }

    public void Dispose() => ratchet.Dispose();
}
