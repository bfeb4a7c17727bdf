namespace Messaging.Server.Features.Delivery;

/// <summary>
/// The durable queue: the truth about what each device has yet to receive. The socket is only the fast path.
/// </summary>
internal interface IMessageStore
{
    /// <summary>
    /// Assigns the next per-conversation sequence number and writes the message record and every copy in one
    /// durable transaction. A repeated message id writes nothing (see <see cref="AppendStatus"/>).
    /// </summary>
    Task<AppendResult> AppendAsync(MessageBatch batch, CancellationToken cancellationToken);

    /// <summary>The acknowledgement of an already stored message, or null.</summary>
    Task<StoredAck?> FindAckAsync(Guid conversationId, Guid messageId, CancellationToken cancellationToken);

    /// <summary>
    /// Up to <paramref name="limit"/> copies for the device after <paramref name="after"/>, in queue order, leaving out
    /// copies whose retention ended at or before <paramref name="now"/> (even before the sweeper deletes them).
    /// </summary>
    Task<IReadOnlyList<QueuedCopy>> ReadQueueAsync(
        Guid deviceId, QueuePosition? after, int limit, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The copies of one message still waiting for their devices (not acknowledged, not expired).</summary>
    Task<IReadOnlyList<QueuedCopy>> ReadMessageCopiesAsync(Guid conversationId, Guid messageId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Deletes the device's copies; returns how many existed.</summary>
    Task<int> DeleteCopiesAsync(Guid deviceId, IReadOnlyCollection<CopyRef> copies, CancellationToken cancellationToken);

    /// <summary>Deletes every copy queued for the device (when it is revoked).</summary>
    Task<int> DeleteQueueAsync(Guid deviceId, CancellationToken cancellationToken);

    /// <summary>Deletes copies and message records whose retention ended at or before <paramref name="now"/>.</summary>
    Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
