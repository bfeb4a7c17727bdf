using Messaging.Server.Storage.Sqlite;

namespace Messaging.Server.Tests.Storage;

/// <summary>Purges delete in batches, one commit each, until nothing old is left.</summary>
public sealed class SqlitePurgeTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 8, 0, 0, TimeSpan.Zero);

    private readonly MigratedSqliteFile file = new();

    private SqliteDatabase Database => file.Database;

    public void Dispose() => file.Dispose();

    [Fact]
    public async Task AuditPurgeBefore_MoreOldEventsThanABatch_DeletesThemAllAndKeepsTheNewer()
    {
        await InsertAuditEventsAsync(12_345, T0);
        await InsertAuditEventsAsync(10, T0.AddDays(2));

        var purged = await new SqliteAuditLog(Database).PurgeBeforeAsync(T0.AddDays(1), TestContext.Current.CancellationToken);

        Assert.Equal(12_345, purged);
        Assert.Equal(10, await CountAsync("SELECT count(*) FROM audit_events;"));
    }

    [Fact]
    public async Task CopyPurge_MoreExpiredMessagesThanABatch_DeletesThemWithTheirCopiesAndKeepsTheRest()
    {
        var expired = SqliteMessageStore.PurgeBatch * 2 + 345;
        await InsertMessagesAsync(expired, expiresAt: T0, copiesEach: 2);
        await InsertMessagesAsync(10, expiresAt: T0.AddDays(2), copiesEach: 2);

        var purged = await new SqliteMessageStore(Database).PurgeExpiredAsync(T0.AddDays(1), TestContext.Current.CancellationToken);

        Assert.Equal(expired * 2, purged);
        Assert.Equal(10, await CountAsync("SELECT count(*) FROM messages;"));
        Assert.Equal(10, await CountAsync($"SELECT count(*) FROM messages WHERE expires_at = {SqliteValues.Time(T0.AddDays(2))};"));
        Assert.Equal(20, await CountAsync("SELECT count(*) FROM queue;"));
        Assert.Equal(0, await CountAsync(
            "SELECT count(*) FROM queue q WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.message_id = q.message_id AND m.conversation_id = q.conversation_id);"));
    }

    /// <summary>
    /// The writer is held by a write of its own while the purge and a probe queue up behind it, in that order; the probe
    /// runs right after the purge's first batch and counts what is left. Purged in one transaction, nothing would be.
    /// </summary>
    [Fact]
    public async Task CopyPurge_OfSeveralBatches_CommitsEachBatchSoThatWritesQueuedBehindItGoInBetween()
    {
        var expired = SqliteMessageStore.PurgeBatch * 2 + 345;
        await InsertMessagesAsync(expired, expiresAt: T0, copiesEach: 1);
        var expiredLeft = $"SELECT count(*) FROM messages WHERE expires_at <= {SqliteValues.Time(T0)};";
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = Database.WriteAsync(async (_, _) => { await gate.Task; return 0; }, CancellationToken.None);

        var purge = new SqliteMessageStore(Database).PurgeExpiredAsync(T0.AddDays(1), TestContext.Current.CancellationToken);
        var probe = Database.WriteAsync(
            async (connection, transaction) => (await connection.Command(expiredLeft, transaction).ReadAllAsync(r => r.GetInt32(0), CancellationToken.None)).Single(),
            CancellationToken.None);
        gate.SetResult();

        Assert.Equal(expired - SqliteMessageStore.PurgeBatch, await probe);
        Assert.Equal(expired, await purge);
        await holding;
        Assert.Equal(0, await CountAsync(expiredLeft));
    }

    private Task<int> CountAsync(string sql) =>
        Database.ReadAsync(async c => (await c.Command(sql).ReadAllAsync(r => r.GetInt32(0), CancellationToken.None)).Single());

    /// <summary>Messages of one conversation with a copy for each of <paramref name="copiesEach"/> devices.</summary>
    private Task<int> InsertMessagesAsync(int count, DateTimeOffset expiresAt, int copiesEach) =>
        Database.WriteAsync(async (connection, transaction) =>
        {
            var conversation = SqliteValues.BlobId(Guid.NewGuid());
            var sender = SqliteValues.BlobId(Guid.NewGuid());
            var devices = Enumerable.Range(0, copiesEach).Select(_ => SqliteValues.BlobId(Guid.NewGuid())).ToList();
            for (var i = 0; i < count; i++)
            {
                var message = SqliteValues.BlobId(Guid.CreateVersion7());
                await connection.Command(
                        """
                        INSERT INTO messages (conversation_id, message_id, sender_account_id, sender_device_id, sequence, accepted_at, expires_at)
                        VALUES ($c, $m, $s, $s, $seq, $at, $exp);
                        """, transaction)
                    .With("$c", conversation).With("$m", message).With("$s", sender).With("$seq", i)
                    .With("$at", SqliteValues.Time(T0.AddDays(-30))).With("$exp", SqliteValues.Time(expiresAt))
                    .ExecuteAsync(CancellationToken.None);
                foreach (var device in devices)
                {
                    await connection.Command(
                            """
                            INSERT INTO queue (device_id, enqueued_at, conversation_id, sequence, message_id, sender_account_id,
                                               sender_device_id, accepted_at, expires_at, ciphertext)
                            VALUES ($d, $seq, $c, $seq, $m, $s, $s, $at, $exp, zeroblob(64));
                            """, transaction)
                        .With("$d", device).With("$c", conversation).With("$m", message).With("$s", sender).With("$seq", i)
                        .With("$at", SqliteValues.Time(T0.AddDays(-30))).With("$exp", SqliteValues.Time(expiresAt))
                        .ExecuteAsync(CancellationToken.None);
                }
            }

            return count;
        }, CancellationToken.None);

    private Task<int> InsertAuditEventsAsync(int count, DateTimeOffset at) =>
        Database.WriteAsync(async (connection, transaction) =>
        {
            for (var i = 0; i < count; i++)
            {
                await connection.Command("INSERT INTO audit_events (id, at, action, outcome) VALUES ($id, $at, 'test', 'success');", transaction)
                    .With("$id", Guid.NewGuid().ToString())
                    .With("$at", SqliteValues.Time(at))
                    .ExecuteAsync(CancellationToken.None);
            }

            return count;
        }, CancellationToken.None);
}
