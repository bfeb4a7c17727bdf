using System.Runtime.CompilerServices;
using Messaging.Contracts;
using Messaging.Protocol.Sessions;

namespace Messaging.Client.Secure;

public sealed partial class SecureMessenger
{
    // Devices told "could not decrypt" since their last message that decrypted: one notice each, no storm.
    private readonly HashSet<Guid> noticed = [];

    /// <summary>
    /// Decrypts what arrives and yields the new text messages. Each delivery is stored (sealed) before it is
    /// acknowledged; receipts raise <see cref="Delivered"/>; a message that cannot be decrypted starts a repair.
    /// Acknowledgements of a backlog go out together (<see cref="AcknowledgementBatch"/>); what is pending when the
    /// enumeration ends is sent then.
    /// </summary>
    public async IAsyncEnumerable<HistoryEntry> ReceiveAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var acknowledgements = new AcknowledgementBatch(Transport);
        try
        {
            await foreach (var delivery in Transport.ReceiveAsync(cancellationToken))
            {
                var entry = await ProcessAsync(delivery, acknowledgements, cancellationToken);
                await acknowledgements.SendIfDueAsync(cancellationToken);
                if (entry is not null)
                {
                    yield return entry;
                }
            }
        }
        finally
        {
            await acknowledgements.SendRemainingAsync();
        }
    }

    private async Task<HistoryEntry?> ProcessAsync(Delivery delivery, AcknowledgementBatch acknowledgements, CancellationToken cancellationToken)
    {
        if (processed.Contains(delivery.ConversationId, delivery.MessageId))
        {
            acknowledgements.Add(delivery); // decrypted and stored before: only its acknowledgement was missing
            return null;
        }

        if (!await SenderIdentityMatchesDirectoryAsync(delivery, cancellationToken))
        {
            acknowledgements.Add(delivery); // refused for good: keeping it would loop
            return null;
        }

        var (message, entry, failure) = await DecryptAndStoreAsync(delivery, cancellationToken);
        if (message is null)
        {
            await RepairAsync(delivery, failure, cancellationToken);
            acknowledgements.Add(delivery);
            return null;
        }

        acknowledgements.Add(delivery);
        switch (message.Kind)
        {
            case PlaintextKind.Content when delivery.SenderAccountId != AccountId && entry is { } stored:
                await SendReceiptAsync(delivery, stored.Entry.MessageId, cancellationToken);
                break;
            case PlaintextKind.Decrypted:
                Delivered?.Invoke(this, new DeliveryReceipt(delivery.ConversationId, message.MessageId!.Value, delivery.SenderDeviceId));
                break;
            case PlaintextKind.CouldNotDecrypt:
                await ResendAsync(delivery, message.MessageId!.Value, cancellationToken);
                break;
        }

        return entry is { IsNew: true } fresh ? fresh.Entry : null;
    }

    /// <summary>Decrypts; for content, adds it to the history (once, even if delivered again); saves either way.</summary>
    private async Task<(DecryptedMessage? Message, (HistoryEntry Entry, bool IsNew)? Entry, DecryptFailure Failure)> DecryptAndStoreAsync(
        Delivery delivery, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (!device.TryDecrypt(delivery.SenderDeviceId, delivery.Ciphertext, Now, out var message, out var failure))
            {
                return (null, null, failure);
            }

            noticed.Remove(delivery.SenderDeviceId);
            Remember(delivery);
            (HistoryEntry, bool)? stored = null;
            if (message.Kind == PlaintextKind.Content && ContentCodec.TryDecode(message.Body.Span, out var text, out var resendOf))
            {
                var entry = new HistoryEntry(delivery.ConversationId, resendOf ?? delivery.MessageId, delivery.SenderAccountId, delivery.SenderDeviceId,
                    delivery.Sequence, delivery.SentAtUnixMs, text, Outgoing: false);
                var isNew = !state.History.Any(h => h.ConversationId == entry.ConversationId && h.MessageId == entry.MessageId);
                if (isNew)
                {
                    state.History.Add(entry);
                }

                stored = (entry, isNew);
            }

            SaveLocked();
            return (message, stored, DecryptFailure.None);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Tells the sending device its message was decrypted. A courtesy: the message is stored and acknowledged already,
    /// so a receipt the server refuses (this device's send limit, while it catches up on a long backlog) or that a
    /// dropped connection loses is logged and receiving goes on; the sender only misses its "delivered" mark.
    /// </summary>
    private async Task SendReceiptAsync(Delivery delivery, Guid messageId, CancellationToken cancellationToken)
    {
        try
        {
            await SendDirectAsync(delivery.ConversationId, delivery.SenderAccountId, delivery.SenderDeviceId, PlaintextKind.Decrypted,
                DecryptedMessage.MessageIdBody(messageId), cancellationToken);
        }
        catch (MessagingException e)
        {
            Log.ReceiptNotSent(logger, e.Code);
        }
    }

    /// <summary>Records a decrypted delivery, saved with the ratchet state it advanced. Call with the gate held.</summary>
    private void Remember(Delivery delivery)
    {
        processed.TryAdd(delivery.ConversationId, delivery.MessageId);
        state.Processed.Add(new ProcessedDelivery(delivery.ConversationId, delivery.MessageId));
        if (state.Processed.Count > ClientState.ProcessedKept)
        {
            state.Processed.RemoveRange(0, state.Processed.Count - ClientState.ProcessedKept);
        }
    }

    /// <summary>
    /// A prekey message names its sender's identity: it must be the identity the directory lists for the sending
    /// device id, so that a server cannot pass one device's messages off as another's.
    /// </summary>
    private async Task<bool> SenderIdentityMatchesDirectoryAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        if (!Messaging.Protocol.Sessions.ProtocolDevice.TryReadSenderIdentity(delivery.Ciphertext, out var claimed))
        {
            return true; // not a prekey message: the session itself authenticates it
        }

        var listed = (await Transport.GetConversationDevicesAsync(delivery.ConversationId, cancellationToken)).Devices
            .FirstOrDefault(d => d.DeviceId == delivery.SenderDeviceId && d.AccountId == delivery.SenderAccountId);
        return listed is not null && claimed.Encoded.SequenceEqual(listed.Identity);
    }

    /// <summary>
    /// Could not decrypt: start a fresh session with the sending device and tell it so (docs/protocol.md §5.4); it
    /// answers by sending the message again under the new session.
    /// </summary>
    private async Task RepairAsync(Delivery delivery, DecryptFailure failure, CancellationToken cancellationToken)
    {
        if (failure is DecryptFailure.Malformed or DecryptFailure.UntrustedIdentity || !noticed.Add(delivery.SenderDeviceId))
        {
            return;
        }

        try
        {
            var listed = (await Transport.GetConversationDevicesAsync(delivery.ConversationId, cancellationToken)).Devices
                .FirstOrDefault(d => d.DeviceId == delivery.SenderDeviceId);
            var bundles = await Transport.Api.GetBundlesAsync(await Transport.GetAccessTokenAsync(cancellationToken), delivery.SenderAccountId, cancellationToken);
            if (listed is null || bundles.Bundles.FirstOrDefault(b => b.DeviceId == delivery.SenderDeviceId) is not { } bundle)
            {
                return;
            }

            await StartSessionAsync(listed.Identity, bundle, cancellationToken);
            await SendDirectAsync(delivery.ConversationId, delivery.SenderAccountId, delivery.SenderDeviceId, PlaintextKind.CouldNotDecrypt,
                DecryptedMessage.MessageIdBody(delivery.MessageId), cancellationToken);
        }
        catch (MessagingException)
        {
            noticed.Remove(delivery.SenderDeviceId); // try again on the next message from that device
        }
    }

    /// <summary>The recipient lost the message: send it again, under the session its notice just started.</summary>
    private async Task ResendAsync(Delivery notice, Guid messageId, CancellationToken cancellationToken)
    {
        var original = History.FirstOrDefault(h => h.Outgoing && h.ConversationId == notice.ConversationId && h.MessageId == messageId);
        if (original is not null)
        {
            await SendDirectAsync(notice.ConversationId, notice.SenderAccountId, notice.SenderDeviceId, PlaintextKind.Content,
                ContentCodec.Encode(original.Text, resendOf: messageId), cancellationToken);
        }
    }
}
