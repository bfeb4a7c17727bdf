using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Conversations;
using Messaging.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Features.Delivery;

/// <summary>
/// Store-and-forward: a message is acknowledged only once its whole batch is durably stored; pushing is a
/// best-effort fast path, and the queue is drained on reconnect.
/// </summary>
internal sealed partial class DeliveryService(
    IMessageStore messages,
    ConversationService conversations,
    SendLimiter sendLimiter,
    AcknowledgementLimiter acknowledgementLimiter,
    Notifications.NotificationService notifications,
    Audit.AuditTrail audit,
    Devices.DevicePush push,
    IOptions<MessagingOptions> options,
    TimeProvider time,
    ILogger<DeliveryService> logger)
{
    private DeliveryOptions Limits => options.Value.Delivery;

    public async Task<SendResult> SendAsync(Caller caller, Guid deviceId, SendRequest request, CancellationToken cancellationToken)
    {
        if (SendValidation.Check(request, Limits) is { } invalid)
        {
            return new SendResult { Error = invalid };
        }

        if (!sendLimiter.TryAcquire(deviceId))
        {
            await audit.DeniedAsync("message.send", caller.AccountId, deviceId, request.ConversationId.ToString(), ErrorCodes.RateLimited);
            return new SendResult { Error = Problems.Hub(ErrorCodes.RateLimited, "Too many messages: retry later.") };
        }

        if (await conversations.FindForSendAsync(caller, request.ConversationId, cancellationToken) is not { } route)
        {
            return new SendResult { Error = Problems.Hub(ErrorCodes.NotAMember, "You are not a member of this conversation.") };
        }

        // The caller takes part, so the route's active devices hold the sender's device unless it was revoked.
        if (!route.ActiveDeviceIds.Contains(deviceId))
        {
            return new SendResult { Error = Problems.Hub(ErrorCodes.DeviceRevoked, "This device was revoked.") };
        }

        if (!CopiesFit(request, route.ActiveDeviceIds, deviceId) && RecipientMismatch(request, route.ActiveDeviceIds, deviceId) is { } mismatch)
        {
            // A retry is answered from the first attempt even if the devices changed since: that attempt was stored
            // as it was. The usual retry, with the same devices, is answered by the append below.
            return await messages.FindAckAsync(request.ConversationId, request.MessageId, cancellationToken) is { } earlier
                ? await AnswerRetryAsync(request, route, caller, earlier, deviceId, cancellationToken)
                : new SendResult { Error = mismatch };
        }

        var now = time.GetUtcNow();
        var batch = new MessageBatch(
            request.ConversationId, request.MessageId, caller.AccountId, deviceId,
            [.. request.Copies.Select(c => new CopyToQueue(c.DeviceId, c.Ciphertext))],
            now, now + Limits.Retention);
        var result = await messages.AppendAsync(batch, CancellationToken.None);
        if (result.Status == AppendStatus.Duplicate)
        {
            return await AnswerRetryAsync(request, route, caller, result.Ack!, deviceId, cancellationToken);
        }

        if (result.Status == AppendStatus.Stored)
        {
            LogStored(logger, request.ConversationId, result.Ack!.Sequence, batch.Copies.Count);
            await PushAsync(batch, result.Ack);
            if (!request.Direct)
            {
                await NotifyPatientsAsync(route, caller, batch.Copies.Select(c => c.DeviceId).ToHashSet());
            }
        }

        return Answer(request, result, deviceId);
    }

    /// <summary>
    /// Deletes the device's copies of these deliveries. Acknowledging a copy that was waiting is free; one that matched
    /// nothing takes from the device's <see cref="AcknowledgementLimiter"/> budget, and once that is spent the device's
    /// acknowledgements are refused (before touching the store) until it refills.
    /// </summary>
    public async Task<AcknowledgeResult> AcknowledgeAsync(Caller caller, Guid deviceId, AcknowledgeRequest request, CancellationToken cancellationToken)
    {
        if (SendValidation.Check(request, Limits) is { } invalid)
        {
            return new AcknowledgeResult { Error = invalid };
        }

        if (!acknowledgementLimiter.HasTokens(deviceId))
        {
            await audit.DeniedAsync("message.acknowledge", caller.AccountId, deviceId, null, ErrorCodes.RateLimited);
            return new AcknowledgeResult { Error = Problems.Hub(ErrorCodes.RateLimited, "Too many acknowledgements of copies that were not waiting: retry later.") };
        }

        // Applied even if the connection closes meanwhile, as an append is: a client that stops sends its last
        // acknowledgements and closes at once, and dropping them would only bring the copies back with its next drain.
        var refs = request.Deliveries.Select(d => new CopyRef(d.ConversationId, d.MessageId)).Distinct().ToList();
        var removed = await messages.DeleteCopiesAsync(deviceId, refs, CancellationToken.None);
        acknowledgementLimiter.Take(deviceId, refs.Count - removed);
        return new AcknowledgeResult { Removed = removed };
    }

    /// <summary>
    /// The device's queue in order, page by page, read once <paramref name="acknowledgementsApplied"/> completes (the
    /// connection's acknowledgements sent before the drain); the stream ends when the queue is drained.
    /// </summary>
    public async IAsyncEnumerable<Contracts.Delivery> DrainAsync(
        Guid deviceId, Task acknowledgementsApplied, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await acknowledgementsApplied.WaitAsync(cancellationToken);
        QueuePosition? after = null;
        while (true)
        {
            var page = await messages.ReadQueueAsync(deviceId, after, Limits.DrainPageSize, time.GetUtcNow(), cancellationToken);
            foreach (var copy in page)
            {
                yield return ToDelivery(copy.ConversationId, copy.MessageId, copy.Sequence, copy.SenderAccountId, copy.SenderDeviceId, copy.AcceptedAt, copy.Ciphertext);
            }

            if (page.Count < Limits.DrainPageSize)
            {
                yield break;
            }

            after = page[^1].Position;
        }
    }

    /// <summary>
    /// The usual case, without allocating: every copy goes to an active device other than the sender's, and a
    /// conversation message covers all of them (copies name distinct devices: <see cref="SendValidation"/>).
    /// </summary>
    private static bool CopiesFit(SendRequest request, IReadOnlySet<Guid> active, Guid senderDeviceId)
    {
        foreach (var copy in request.Copies)
        {
            if (copy.DeviceId == senderDeviceId || !active.Contains(copy.DeviceId))
            {
                return false;
            }
        }

        return request.Direct ? request.Copies.Count > 0 : request.Copies.Count == active.Count - 1;
    }

    /// <summary>
    /// A conversation message must cover exactly the current recipients; a direct one only some of them. Either way,
    /// no copy may go to a device outside the conversation (or to the sender's own).
    /// </summary>
    private static HubError? RecipientMismatch(SendRequest request, IReadOnlySet<Guid> active, Guid senderDeviceId)
    {
        var recipients = active.Where(id => id != senderDeviceId).ToHashSet();
        var given = request.Copies.Select(c => c.DeviceId).ToHashSet();
        var missing = request.Direct ? [] : recipients.Except(given).ToList();
        var extra = given.Except(recipients).ToList();
        if (request.Direct && given.Count == 0)
        {
            return Problems.Hub(ErrorCodes.InvalidRequest, "A direct message names at least one device.");
        }

        return missing.Count == 0 && extra.Count == 0
            ? null
            : new HubError
            {
                Code = ErrorCodes.DevicesChanged,
                Message = "The conversation's devices changed: encrypt for the current list and retry with the same message id.",
                MissingDevices = missing,
                ExtraDevices = extra,
            };
    }

    /// <summary>
    /// A retry of a stored message gets the first attempt's acknowledgement, and its copies still waiting are pushed
    /// again and their patients' notifications scheduled again: the first attempt may have been stored by a node that
    /// died before pushing them or scheduling. A retry after a complete first attempt schedules nothing more: the
    /// patient's notification from it is within the debounce window.
    /// </summary>
    private async Task<SendResult> AnswerRetryAsync(
        SendRequest request, SendRoute route, Caller caller, StoredAck earlier, Guid deviceId, CancellationToken cancellationToken)
    {
        if (earlier.SenderDeviceId == deviceId)
        {
            var waiting = await RepushAsync(request.ConversationId, request.MessageId, cancellationToken);
            if (!request.Direct)
            {
                await NotifyPatientsAsync(route, caller, waiting);
            }
        }

        return Answer(request, new AppendResult(AppendStatus.Duplicate, earlier), deviceId);
    }

    /// <summary>
    /// After the commit, before the answer: a patient among the recipients gets an email if the message still waits
    /// when the notification comes due (Features/Notifications).
    /// </summary>
    private Task NotifyPatientsAsync(SendRoute route, Caller caller, HashSet<Guid> copied)
    {
        if (route.Participants.Patients.Count == 0 || copied.Count == 0)
        {
            return Task.CompletedTask;
        }

        var copiedTo = route.ActiveDevices.Where(d => copied.Contains(d.Id)).Select(d => d.AccountId).ToHashSet();
        return notifications.ScheduleAsync(
            route.Conversation, [.. route.Participants.Patients.Where(p => p.Id != caller.AccountId && copiedTo.Contains(p.Id))], CancellationToken.None);
    }

    /// <summary>Pushes the message's copies that still wait again; returns the devices they wait for.</summary>
    private async Task<HashSet<Guid>> RepushAsync(Guid conversationId, Guid messageId, CancellationToken cancellationToken)
    {
        var waiting = new HashSet<Guid>();
        foreach (var copy in await messages.ReadMessageCopiesAsync(conversationId, messageId, time.GetUtcNow(), cancellationToken))
        {
            waiting.Add(copy.DeviceId);
            await PushOneAsync(copy.DeviceId, ToDelivery(copy.ConversationId, copy.MessageId, copy.Sequence, copy.SenderAccountId,
                copy.SenderDeviceId, copy.AcceptedAt, copy.Ciphertext));
        }

        return waiting;
    }

    private async Task PushAsync(MessageBatch batch, StoredAck ack)
    {
        foreach (var copy in batch.Copies)
        {
            await PushOneAsync(copy.DeviceId, ToDelivery(
                batch.ConversationId, batch.MessageId, ack.Sequence, batch.SenderAccountId, batch.SenderDeviceId, ack.AcceptedAt, copy.Ciphertext));
        }
    }

    private async Task PushOneAsync(Guid deviceId, Contracts.Delivery delivery)
    {
        try
        {
            await push.SendAsync(deviceId, HubMethods.Receive, delivery);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The copy is in the durable queue: the device gets it when it drains.
            var errorType = e.GetType().Name;
            LogPushFailed(logger, deviceId, errorType);
        }
    }

    private static SendResult Answer(SendRequest request, AppendResult result, Guid deviceId) =>
        result.Status == AppendStatus.IdConflict || result.Ack!.SenderDeviceId != deviceId
            ? new SendResult { Error = Problems.Hub(ErrorCodes.MessageIdConflict, "This message id is already used in this conversation.") }
            : new SendResult
            {
                Ack = new SendAck
                {
                    ConversationId = request.ConversationId,
                    MessageId = request.MessageId,
                    Sequence = result.Ack.Sequence,
                    AcceptedAtUnixMs = result.Ack.AcceptedAt.ToUnixTimeMilliseconds(),
                },
            };

    private static Contracts.Delivery ToDelivery(
        Guid conversationId, Guid messageId, long sequence, Guid senderAccountId, Guid senderDeviceId, DateTimeOffset acceptedAt, byte[] ciphertext) =>
        new()
        {
            ConversationId = conversationId,
            MessageId = messageId,
            Sequence = sequence,
            SenderAccountId = senderAccountId,
            SenderDeviceId = senderDeviceId,
            SentAtUnixMs = acceptedAt.ToUnixTimeMilliseconds(),
            Ciphertext = ciphertext,
        };

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stored message {Sequence} of conversation {ConversationId} with {CopyCount} copies")]
    private static partial void LogStored(ILogger logger, Guid conversationId, long sequence, int copyCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Push to device {DeviceId} failed ({ErrorType}); the copy stays queued")]
    private static partial void LogPushFailed(ILogger logger, Guid deviceId, string errorType);
}
