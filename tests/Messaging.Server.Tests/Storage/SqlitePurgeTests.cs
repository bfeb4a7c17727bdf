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
        Assert.Equal(10, await Database.ReadAsync(async c =>
            (await c.Command("SELECT count(*) FROM audit_events;").ReadAllAsync(r => r.GetInt32(0), CancellationToken.None)).Single()));
    }

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
