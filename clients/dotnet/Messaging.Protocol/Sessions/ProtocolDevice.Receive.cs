using System.Diagnostics.CodeAnalysis;
using Messaging.Protocol.Keys;

namespace Messaging.Protocol.Sessions;

/// <summary>Receiving: normal messages (§5) and prekey messages (§4, §5.4).</summary>
public sealed partial class ProtocolDevice
{
    public bool TryDecrypt(Guid senderDeviceId, ReadOnlySpan<byte> envelope, DateTimeOffset now, [NotNullWhen(true)] out DecryptedMessage? message) =>
        TryDecrypt(senderDeviceId, envelope, now, out message, out _);

    /// <summary>
    /// Decrypts an envelope from <paramref name="senderDeviceId"/>. A prekey message belongs to the kept session with
    /// its EK or else starts a new session, which becomes the current one (§5.4); its one-time prekeys are deleted
    /// from the store only once it authenticates. A normal message is tried with the current session, then the
    /// previous ones. On failure nothing changes and <paramref name="failure"/> says why.
    /// </summary>
    public bool TryDecrypt(
        Guid senderDeviceId, ReadOnlySpan<byte> envelope, DateTimeOffset now, [NotNullWhen(true)] out DecryptedMessage? message, out DecryptFailure failure)
    {
        message = null;
        if (!Envelope.TryParse(envelope, out var parsed))
        {
            failure = DecryptFailure.Malformed;
            return false;
        }

        lock (gate)
        {
            failure = parsed!.Prekey is null
                ? DecryptMessage(senderDeviceId, parsed, now, out message)
                : DecryptPrekeyMessage(senderDeviceId, parsed, parsed.Prekey, now, out message);
            return failure == DecryptFailure.None;
        }
    }

    /// <summary>The sender identity a prekey message carries (verified), e.g. to show it before <see cref="TrustIdentity"/>.</summary>
    public static bool TryReadSenderIdentity(ReadOnlySpan<byte> envelope, [NotNullWhen(true)] out DeviceIdentity? identity)
    {
        identity = Envelope.TryParse(envelope, out var parsed) ? parsed!.Prekey?.Identity : null;
        return identity is not null;
    }

    private DecryptFailure DecryptMessage(Guid sender, Envelope envelope, DateTimeOffset now, out DecryptedMessage? message)
    {
        message = null;
        var record = store.LoadSession(sender);
        if (record?.Current is null)
        {
            return DecryptFailure.NoSession;
        }

        var first = DecryptFailure.None;
        foreach (var session in record.Sessions)
        {
            var failure = session.Decrypt(envelope, now, out message);
            if (failure == DecryptFailure.None)
            {
                store.StoreSession(sender, record);
                return failure;
            }

            first = first == DecryptFailure.None ? failure : first;
        }

        return first;
    }

    private DecryptFailure DecryptPrekeyMessage(Guid sender, Envelope envelope, PrekeyHeader header, DateTimeOffset now, out DecryptedMessage? message)
    {
        message = null;
        var pinned = store.LoadIdentity(sender);
        if (pinned is not null && !pinned.Equals(header.Identity))
        {
            return DecryptFailure.UntrustedIdentity;
        }

        var record = store.LoadSession(sender);
        if (record?.FindByBaseKey(header.BaseKey) is { } existing)
        {
            var failure = existing.Decrypt(envelope, now, out message);
            if (failure == DecryptFailure.None)
            {
                store.StoreSession(sender, record);
            }

            return failure;
        }

        if (record is not null && record.IsRetired(header.BaseKey))
        {
            return DecryptFailure.NotAuthentic;
        }

        var signedPrekey = store.LoadSignedPrekey(header.SignedPrekeyId);
        var oneTimePrekey = header.OneTimePrekeyId == PrekeySignature.NoPrekey ? null : store.LoadOneTimePrekey(header.OneTimePrekeyId);
        var kemPrekey = store.LoadKemPrekey(header.KemPrekeyId);
        if (signedPrekey is null || kemPrekey is null || (oneTimePrekey is null && header.OneTimePrekeyId != PrekeySignature.NoPrekey))
        {
            return DecryptFailure.MissingPrekey;
        }

        if (!Session.TryRespond(store.LocalKeys, header, signedPrekey, oneTimePrekey, kemPrekey, random, out var session))
        {
            return DecryptFailure.InvalidKey;
        }

        var result = session.Decrypt(envelope, now, out message);
        if (result != DecryptFailure.None)
        {
            session.Dispose();
            return result;
        }

        record ??= new SessionRecord();
        record.Promote(session);
        store.StoreSession(sender, record);
        if (pinned is null)
        {
            store.SaveIdentity(sender, header.Identity);
        }

        var lastResort = kemPrekey.IsLastResort;
        if (oneTimePrekey is not null)
        {
            store.RemoveOneTimePrekey(header.OneTimePrekeyId);
        }

        if (!lastResort)
        {
            store.RemoveKemPrekey(header.KemPrekeyId);
        }

        message!.StartedSession = true;
        return DecryptFailure.None;
    }
}
