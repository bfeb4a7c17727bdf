namespace Messaging.Server.Features.Delivery;

/// <summary>One accepted message: its ciphertext copies, one per recipient device, written in one transaction.</summary>
internal sealed record MessageBatch(
    Guid ConversationId,
    Guid MessageId,
    Guid SenderAccountId,
    Guid SenderDeviceId,
    IReadOnlyList<CopyToQueue> Copies,
    DateTimeOffset AcceptedAt,
    DateTimeOffset ExpiresAt);

internal sealed record CopyToQueue(Guid DeviceId, byte[] Ciphertext);

/// <summary>
/// Where a copy stands in its device's queue. Queues drain in this order: by enqueue time, which the store keeps
/// strictly increasing within a conversation, then conversation and sequence to break ties across conversations.
/// </summary>
internal readonly record struct QueuePosition(long EnqueuedAtTicks, Guid ConversationId, long Sequence);

/// <summary>A copy waiting in a device's queue.</summary>
internal sealed record QueuedCopy(
    Guid DeviceId,
    Guid ConversationId,
    Guid MessageId,
    long Sequence,
    Guid SenderAccountId,
    Guid SenderDeviceId,
    DateTimeOffset AcceptedAt,
    byte[] Ciphertext,
    QueuePosition Position);

/// <summary>The acknowledgement recorded for a message id, returned again to a retry.</summary>
internal sealed record StoredAck(Guid SenderDeviceId, long Sequence, DateTimeOffset AcceptedAt);

internal enum AppendStatus
{
    /// <summary>Stored now, in one transaction.</summary>
    Stored,

    /// <summary>The same sender device already stored this message id: nothing was written, the first ack stands.</summary>
    Duplicate,

    /// <summary>Another device used this message id in this conversation: nothing was written.</summary>
    IdConflict,
}

internal sealed record AppendResult(AppendStatus Status, StoredAck? Ack);

internal readonly record struct CopyRef(Guid ConversationId, Guid MessageId);
