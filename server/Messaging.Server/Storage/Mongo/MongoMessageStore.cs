using Messaging.Server.Features.Delivery;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

/// <summary>
/// The durable queue on MongoDB: <c>messages</c> holds one record per accepted message id (the idempotency key and
/// the acknowledgement given to retries), <c>queue</c> one document per ciphertext copy per device. Appending is in
/// <c>MongoMessageStore.Append.cs</c>.
/// </summary>
internal sealed partial class MongoMessageStore(MongoContext context) : IMessageStore
{
    private static readonly FilterDefinitionBuilder<QueueDocument> QueueFilter = Builders<QueueDocument>.Filter;

    /// <summary>Queue order: enqueue time, then conversation and sequence to break ties across conversations.</summary>
    private static readonly SortDefinition<QueueDocument> QueueOrder = Builders<QueueDocument>.Sort
        .Ascending(q => q.EnqueuedAt).Ascending(q => q.ConversationId).Ascending(q => q.Sequence);

    public async Task<StoredAck?> FindAckAsync(Guid conversationId, Guid messageId, CancellationToken cancellationToken)
    {
        var record = await context.Messages.Find(MessageKey(conversationId, messageId)).FirstOrDefaultAsync(cancellationToken);
        return record is null ? null : ToAck(record);
    }

    public async Task<IReadOnlyList<QueuedCopy>> ReadQueueAsync(
        Guid deviceId, QueuePosition? after, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (limit == 0)
        {
            return [];
        }

        var filter = QueueFilter.Eq(q => q.DeviceId, deviceId) & QueueFilter.Gt(q => q.ExpiresAt, MongoValues.Ticks(now));
        if (after is { } a)
        {
            // (enqueuedAt, conversationId, sequence) > (a.EnqueuedAtTicks, a.ConversationId, a.Sequence), spelled out.
            // UUIDs compare byte by byte, which with the standard representation is the order of their text form.
            filter &= QueueFilter.Gt(q => q.EnqueuedAt, a.EnqueuedAtTicks)
                | (QueueFilter.Eq(q => q.EnqueuedAt, a.EnqueuedAtTicks) & QueueFilter.Gt(q => q.ConversationId, a.ConversationId))
                | (QueueFilter.Eq(q => q.EnqueuedAt, a.EnqueuedAtTicks) & QueueFilter.Eq(q => q.ConversationId, a.ConversationId)
                    & QueueFilter.Gt(q => q.Sequence, a.Sequence));
        }

        var documents = await context.Queue.Find(filter).Sort(QueueOrder).LimitLikeSqlite(limit).ToListAsync(cancellationToken);
        return [.. documents.Select(ToCopy)];
    }

    public async Task<IReadOnlyList<QueuedCopy>> ReadMessageCopiesAsync(
        Guid conversationId, Guid messageId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var filter = QueueFilter.Eq(q => q.ConversationId, conversationId) & QueueFilter.Eq(q => q.MessageId, messageId)
            & QueueFilter.Gt(q => q.ExpiresAt, MongoValues.Ticks(now));
        var documents = await context.Queue.Find(filter).SortBy(q => q.DeviceId).ToListAsync(cancellationToken);
        return [.. documents.Select(ToCopy)];
    }

    private static QueuedCopy ToCopy(QueueDocument q) =>
        new(q.DeviceId, q.ConversationId, q.MessageId, q.Sequence, q.SenderAccountId, q.SenderDeviceId,
            MongoValues.Time(q.AcceptedAt), q.Ciphertext, new QueuePosition(q.EnqueuedAt, q.ConversationId, q.Sequence));

    public async Task<int> DeleteCopiesAsync(Guid deviceId, IReadOnlyCollection<CopyRef> copies, CancellationToken cancellationToken)
    {
        var distinct = copies.Distinct().ToList();
        if (distinct.Count == 0)
        {
            return 0;
        }

        // One copy per (device, conversation, message) (a unique index), so the deleted count is how many existed.
        var filter = QueueFilter.Eq(q => q.DeviceId, deviceId) & QueueFilter.Or(distinct.Select(c =>
            QueueFilter.Eq(q => q.ConversationId, c.ConversationId) & QueueFilter.Eq(q => q.MessageId, c.MessageId)));
        var result = await context.Queue.DeleteManyAsync(filter, cancellationToken);
        return checked((int)result.DeletedCount);
    }

    public async Task<int> DeleteQueueAsync(Guid deviceId, CancellationToken cancellationToken)
    {
        var result = await context.Queue.DeleteManyAsync(q => q.DeviceId == deviceId, cancellationToken);
        return checked((int)result.DeletedCount);
    }

    /// <summary>
    /// Two deletes, copies first, not one transaction: a sweep may touch many documents, more than a transaction
    /// should hold, and each delete is idempotent, so a sweep cut short is finished by the next one.
    /// </summary>
    public async Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ticks = MongoValues.Ticks(now);
        var copies = await context.Queue.DeleteManyAsync(q => q.ExpiresAt <= ticks, cancellationToken);
        await context.Messages.DeleteManyAsync(m => m.ExpiresAt <= ticks, cancellationToken);
        return checked((int)copies.DeletedCount);
    }

    private static FilterDefinition<MessageDocument> MessageKey(Guid conversationId, Guid messageId) =>
        Builders<MessageDocument>.Filter.Eq(m => m.ConversationId, conversationId)
        & Builders<MessageDocument>.Filter.Eq(m => m.MessageId, messageId);

    private static StoredAck ToAck(MessageDocument record) =>
        new(record.SenderDeviceId, record.Sequence, MongoValues.Time(record.AcceptedAt));
}
