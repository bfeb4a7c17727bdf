using Messaging.Server.Features.Delivery;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

internal sealed partial class MongoMessageStore
{
    /// <summary>
    /// One multi-document transaction: the idempotency check, the conversation's counters, the message record and
    /// every copy commit together or not at all. Two appends to one conversation both update its document, so the
    /// later one hits a write conflict, is aborted and is run again by the driver, by then seeing the other's
    /// commit: sequences stay contiguous and a racing retry of the same id finds the first.
    /// </summary>
    public async Task<AppendResult> AppendAsync(MessageBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            return await context.InTransactionAsync((session, token) => AppendInTransactionAsync(session, batch, token), cancellationToken);
        }
        catch (Exception e) when (MongoErrors.IsDuplicateKey(e))
        {
            // A concurrent append of the same id committed between our check and our insert: answer as a retry.
            var existing = await FindAckAsync(batch.ConversationId, batch.MessageId, cancellationToken);
            if (existing is null)
            {
                throw;
            }

            return Repeated(existing, batch);
        }
    }

    private async Task<AppendResult> AppendInTransactionAsync(IClientSessionHandle session, MessageBatch batch, CancellationToken token)
    {
        var existing = await context.Messages.Find(session, MessageKey(batch.ConversationId, batch.MessageId)).FirstOrDefaultAsync(token);
        if (existing is not null)
        {
            return Repeated(ToAck(existing), batch);
        }

        var counters = await context.Conversations.FindOneAndUpdateAsync(
            session,
            Builders<ConversationDocument>.Filter.Eq(c => c.Id, batch.ConversationId),
            NextPosition(MongoValues.Ticks(batch.AcceptedAt)),
            new FindOneAndUpdateOptions<ConversationDocument> { ReturnDocument = ReturnDocument.After },
            token) ?? throw new InvalidOperationException("The conversation does not exist.");
        var (sequence, enqueuedAt) = (counters.LastSequence, counters.LastEnqueuedAt);

        await context.Messages.InsertOneAsync(session, new MessageDocument
        {
            ConversationId = batch.ConversationId,
            MessageId = batch.MessageId,
            SenderAccountId = batch.SenderAccountId,
            SenderDeviceId = batch.SenderDeviceId,
            Sequence = sequence,
            AcceptedAt = MongoValues.Ticks(batch.AcceptedAt),
            ExpiresAt = MongoValues.Ticks(batch.ExpiresAt),
        }, cancellationToken: token);

        if (batch.Copies.Count > 0)
        {
            await context.Queue.InsertManyAsync(session, batch.Copies.Select(copy => new QueueDocument
            {
                DeviceId = copy.DeviceId,
                EnqueuedAt = enqueuedAt,
                ConversationId = batch.ConversationId,
                Sequence = sequence,
                MessageId = batch.MessageId,
                SenderAccountId = batch.SenderAccountId,
                SenderDeviceId = batch.SenderDeviceId,
                AcceptedAt = MongoValues.Ticks(batch.AcceptedAt),
                ExpiresAt = MongoValues.Ticks(batch.ExpiresAt),
                Ciphertext = copy.Ciphertext,
            }), cancellationToken: token);
        }

        return new AppendResult(AppendStatus.Stored, new StoredAck(batch.SenderDeviceId, sequence, batch.AcceptedAt));
    }

    private static AppendResult Repeated(StoredAck existing, MessageBatch batch) =>
        existing.SenderDeviceId == batch.SenderDeviceId
            ? new AppendResult(AppendStatus.Duplicate, existing)
            : new AppendResult(AppendStatus.IdConflict, null);

    /// <summary>
    /// The next sequence number, and an enqueue time strictly later than the previous one in this conversation even
    /// if the clock steps back (max(last + 1, accepted)), so queue order always follows sequence order. An update
    /// pipeline computes both from the stored values in one atomic step.
    /// </summary>
    private static UpdateDefinition<ConversationDocument> NextPosition(long acceptedAtTicks)
    {
        const string Sequence = ConversationDocument.LastSequenceField;
        const string EnqueuedAt = ConversationDocument.LastEnqueuedAtField;
        var set = new BsonDocument("$set", new BsonDocument
        {
            { Sequence, new BsonDocument("$add", new BsonArray { "$" + Sequence, 1L }) },
            {
                EnqueuedAt, new BsonDocument("$max", new BsonArray
                {
                    new BsonDocument("$add", new BsonArray { "$" + EnqueuedAt, 1L }),
                    acceptedAtTicks,
                })
            },
        });
        return Builders<ConversationDocument>.Update.Pipeline(PipelineDefinition<ConversationDocument, ConversationDocument>.Create(set));
    }
}
