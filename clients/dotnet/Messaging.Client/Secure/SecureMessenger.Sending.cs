using Messaging.Contracts;
using Messaging.Protocol.Sessions;

namespace Messaging.Client.Secure;

public sealed partial class SecureMessenger
{
    private const int MaxDeviceRefreshes = 3;

    /// <summary>
    /// Sends a text to every other device of the conversation (the sender's own other devices included), encrypted
    /// for each. A device list that changed under the send is fetched again and the send retried with the same
    /// message id; devices already encrypted for keep their envelope. Returns the message id.
    /// </summary>
    public async Task<Guid> SendTextAsync(Guid conversationId, string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var messageId = MessagingClient.NewMessageId();
        await RecordAsync(new HistoryEntry(conversationId, messageId, AccountId, DeviceId, 0, Now.ToUnixTimeMilliseconds(), text, Outgoing: true), cancellationToken);
        var body = ContentCodec.Encode(text);
        var sealedFor = new Dictionary<Guid, OutgoingCopy>();
        for (var refresh = 0; ; refresh++)
        {
            var devices = (await Transport.GetConversationDevicesAsync(conversationId, cancellationToken)).Devices
                .Where(d => d.DeviceId != DeviceId).ToList();
            foreach (var (id, copy) in await SealAsync([.. devices.Where(d => !sealedFor.ContainsKey(d.DeviceId))], PlaintextKind.Content, body, cancellationToken))
            {
                sealedFor[id] = copy;
            }

            try
            {
                var ack = await Transport.SendAsync(conversationId, messageId, [.. devices.Select(d => sealedFor[d.DeviceId])], cancellationToken);
                await RecordSequenceAsync(conversationId, messageId, ack.Sequence, cancellationToken);
                return messageId;
            }
            catch (MessagingException e) when (e.Code == ErrorCodes.DevicesChanged && refresh < MaxDeviceRefreshes)
            {
                // Fetch the current list and encrypt for the devices that are new.
            }
        }
    }

    /// <summary>A receipt, a notice or a resend, to one device of the conversation.</summary>
    private async Task SendDirectAsync(Guid conversationId, Guid recipientAccountId, Guid recipientDeviceId, PlaintextKind kind, byte[] body, CancellationToken cancellationToken)
    {
        var recipient = (await Transport.GetConversationDevicesAsync(conversationId, cancellationToken)).Devices
            .FirstOrDefault(d => d.DeviceId == recipientDeviceId && d.AccountId == recipientAccountId);
        if (recipient is null)
        {
            return; // revoked meanwhile: nobody to tell
        }

        var copies = await SealAsync([recipient], kind, body, cancellationToken);
        await Transport.SendDirectAsync(conversationId, MessagingClient.NewMessageId(), [copies[recipientDeviceId]], cancellationToken);
    }

    private async Task RecordAsync(HistoryEntry entry, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            state.History.Add(entry);
            SaveLocked();
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task RecordSequenceAsync(Guid conversationId, Guid messageId, long sequence, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            var index = state.History.FindIndex(h => h.ConversationId == conversationId && h.MessageId == messageId);
            if (index >= 0)
            {
                state.History[index] = state.History[index] with { Sequence = sequence };
                SaveLocked();
            }
        }
        finally
        {
            gate.Release();
        }
    }
}
