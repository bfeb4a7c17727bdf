using Messaging.Server.Features.Delivery;
using Microsoft.Data.Sqlite;
using static Messaging.Server.Storage.Sqlite.SqliteValues;

namespace Messaging.Server.Storage.Sqlite;

internal sealed class SqliteMessageStore(SqliteDatabase database) : IMessageStore
{
    public Task<AppendResult> AppendAsync(MessageBatch batch, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, transaction) =>
        {
            // The idempotency check runs inside the write transaction, so two racing retries cannot both insert.
            if (connection.Reusable(FindAckSql, transaction)
                .SetBlobId("$c", batch.ConversationId)
                .SetBlobId("$m", batch.MessageId)
                .TryReadSingle(MapAck, out var existing))
            {
                return Task.FromResult(existing.SenderDeviceId == batch.SenderDeviceId
                    ? new AppendResult(AppendStatus.Duplicate, existing)
                    : new AppendResult(AppendStatus.IdConflict, null));
            }

            var (sequence, enqueuedAt) = NextPosition(connection, transaction, batch);
            InsertMessage(connection, transaction, batch, sequence);
            InsertCopies(connection, transaction, batch, sequence, enqueuedAt);
            return Task.FromResult(new AppendResult(AppendStatus.Stored, new StoredAck(batch.SenderDeviceId, sequence, batch.AcceptedAt)));
        }, cancellationToken);

    public Task<StoredAck?> FindAckAsync(Guid conversationId, Guid messageId, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection => (await connection.Command(FindAckSql)
            .With("$c", BlobId(conversationId))
            .With("$m", BlobId(messageId))
            .ReadAllAsync(MapAck, cancellationToken)).SingleOrDefault());

    public Task<IReadOnlyList<QueuedCopy>> ReadQueueAsync(
        Guid deviceId, QueuePosition? after, int limit, DateTimeOffset now, CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<QueuedCopy>>(async connection =>
            await connection.Command(QueueSql.ReadQueue)
                .With("$device", BlobId(deviceId))
                .With("$now", Time(now))
                .With("$at", after?.EnqueuedAtTicks ?? -1)
                .With("$conversation", after is { } a ? BlobId(a.ConversationId) : Array.Empty<byte>())
                .With("$sequence", after?.Sequence ?? -1)
                .With("$limit", limit)
                .ReadAllAsync(MapCopy, cancellationToken));

    public Task<IReadOnlyList<QueuedCopy>> ReadMessageCopiesAsync(Guid conversationId, Guid messageId, DateTimeOffset now, CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<QueuedCopy>>(async connection =>
            await connection.Command(QueueSql.ReadMessageCopies)
                .With("$conversation", BlobId(conversationId))
                .With("$message", BlobId(messageId))
                .With("$now", Time(now))
                .ReadAllAsync(MapCopy, cancellationToken));

    public Task<int> DeleteCopiesAsync(Guid deviceId, IReadOnlyCollection<CopyRef> copies, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, transaction) =>
        {
            var delete = connection.Reusable(QueueSql.DeleteCopy, transaction).SetBlobId("$device", deviceId);
            var removed = 0;
            foreach (var copy in copies.Distinct())
            {
                removed += delete.SetBlobId("$conversation", copy.ConversationId).SetBlobId("$message", copy.MessageId).Execute();
            }

            return Task.FromResult(removed);
        }, cancellationToken);

    public Task<int> DeleteQueueAsync(Guid deviceId, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, transaction) =>
            connection.Command(QueueSql.DeleteQueue, transaction)
                .With("$device", BlobId(deviceId))
                .ExecuteAsync(CancellationToken.None), cancellationToken);

    /// <summary>
    /// A batch of expired messages at a time, with their copies, one commit each, as the record sweeps do: a backlog that
    /// expires at once (after the server was stopped longer than the retention, or the retention was shortened) would
    /// otherwise hold the single writer, and every send queued behind it, for the whole purge.
    /// </summary>
    public async Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var copies = 0;
        int messages;
        do
        {
            (messages, var copiesOfBatch) = await database.WriteAsync(async (connection, transaction) =>
            {
                // Copies first: they are found through their messages.
                var deletedCopies = await connection.Command(QueueSql.PurgeExpiredCopies, transaction)
                    .With("$now", Time(now))
                    .With("$limit", PurgeBatch)
                    .ExecuteAsync(CancellationToken.None);
                var deletedMessages = await connection.Command(QueueSql.PurgeExpiredMessages, transaction)
                    .With("$now", Time(now))
                    .With("$limit", PurgeBatch)
                    .ExecuteAsync(CancellationToken.None);
                return (deletedMessages, deletedCopies);
            }, cancellationToken);
            copies += copiesOfBatch;
        }
        while (messages == PurgeBatch);

        return copies;
    }

    /// <summary>
    /// Messages per purge transaction. A message has a copy per device it was sent to, each with its ciphertext
    /// overwritten as it is deleted (<c>secure_delete</c>), so a batch is smaller than the record sweeps' 5,000 rows.
    /// </summary>
    internal const int PurgeBatch = 1_000;

    private static QueuedCopy MapCopy(SqliteDataReader r) =>
        new(r.GetBlobId(0), r.GetBlobId(1), r.GetBlobId(2), r.GetInt64(3), r.GetBlobId(4), r.GetBlobId(5), r.GetTime(6), r.GetBytes(7),
            new QueuePosition(r.GetInt64(8), r.GetBlobId(1), r.GetInt64(3)));

    private const string FindAckSql =
        "SELECT sender_device_id, sequence, accepted_at FROM messages WHERE conversation_id = $c AND message_id = $m;";

    private static StoredAck MapAck(SqliteDataReader r) => new(r.GetBlobId(0), r.GetInt64(1), r.GetTime(2));

    private static StoredAck MapAck(StatementRow r) => new(r.GetBlobId(0), r.GetInt64(1), r.GetTime(2));

    /// <summary>
    /// Takes the conversation's next sequence number and an enqueue time that is strictly later than the previous
    /// one in this conversation, even if the clock steps back, so queue order always follows sequence order.
    /// </summary>
    private static (long Sequence, long EnqueuedAt) NextPosition(SqliteConnection connection, SqliteTransaction transaction, MessageBatch batch) =>
        connection.Reusable(
                """
                UPDATE conversations
                SET last_sequence = last_sequence + 1, last_enqueued_at = max(last_enqueued_at + 1, $now)
                WHERE id = $c
                RETURNING last_sequence, last_enqueued_at;
                """, transaction)
            .SetTextId("$c", batch.ConversationId)
            .Set("$now", Time(batch.AcceptedAt))
            .TryReadSingle(r => (r.GetInt64(0), r.GetInt64(1)), out var position)
            ? position
            : throw new InvalidOperationException("The conversation does not exist.");

    private static int InsertMessage(SqliteConnection connection, SqliteTransaction transaction, MessageBatch batch, long sequence) =>
        connection.Reusable(
                """
                INSERT INTO messages (conversation_id, message_id, sender_account_id, sender_device_id, sequence, accepted_at, expires_at)
                VALUES ($c, $m, $sa, $sd, $seq, $at, $exp);
                """, transaction)
            .SetBlobId("$c", batch.ConversationId)
            .SetBlobId("$m", batch.MessageId)
            .SetBlobId("$sa", batch.SenderAccountId)
            .SetBlobId("$sd", batch.SenderDeviceId)
            .Set("$seq", sequence)
            .Set("$at", Time(batch.AcceptedAt))
            .Set("$exp", Time(batch.ExpiresAt))
            .Execute();

    private static void InsertCopies(SqliteConnection connection, SqliteTransaction transaction, MessageBatch batch, long sequence, long enqueuedAt)
    {
        var insert = connection.Reusable(
            """
            INSERT INTO queue (device_id, enqueued_at, conversation_id, sequence, message_id, sender_account_id,
                               sender_device_id, accepted_at, expires_at, ciphertext)
            VALUES ($device, $enq, $c, $seq, $m, $sa, $sd, $at, $exp, $ciphertext);
            """, transaction);
        insert.Set("$enq", enqueuedAt).SetBlobId("$c", batch.ConversationId).Set("$seq", sequence)
            .SetBlobId("$m", batch.MessageId).SetBlobId("$sa", batch.SenderAccountId).SetBlobId("$sd", batch.SenderDeviceId)
            .Set("$at", Time(batch.AcceptedAt)).Set("$exp", Time(batch.ExpiresAt));
        foreach (var copy in batch.Copies)
        {
            insert.SetBlobId("$device", copy.DeviceId).Set("$ciphertext", copy.Ciphertext).Execute();
        }
    }
}
