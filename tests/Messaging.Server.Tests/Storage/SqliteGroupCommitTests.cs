using Messaging.Server.Storage.Sqlite;

namespace Messaging.Server.Tests.Storage;

/// <summary>Group commit: concurrent writes share transactions, yet each succeeds or fails on its own.</summary>
public sealed class SqliteGroupCommitTests : IDisposable
{
    private readonly MigratedSqliteFile file = new();

    private SqliteDatabase Database => file.Database;

    public void Dispose() => file.Dispose();

    [Fact]
    public async Task WriteAsync_ManyConcurrentWritesOneFailing_OnlyTheFailingOneIsRolledBack()
    {
        var writes = Enumerable.Range(0, 200).Select(i => Database.WriteAsync(async (connection, transaction) =>
        {
            await connection.Command("INSERT INTO audit_events (id, at, action, outcome) VALUES ($id, $at, 'test', 'success');", transaction)
                .With("$id", $"write-{i}")
                .With("$at", i)
                .ExecuteAsync(CancellationToken.None);
            return i == 77 ? throw new InvalidOperationException("this write fails after its insert") : i;
        }, CancellationToken.None)).ToList();

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => writes[77]);
        var results = await Task.WhenAll(writes.Where((_, i) => i != 77));

        Assert.Equal("this write fails after its insert", failure.Message);
        Assert.Equal(199, results.Length);
        var stored = await Database.ReadAsync(async connection =>
            await connection.Command("SELECT id FROM audit_events WHERE action = 'test';").ReadAllAsync(r => r.GetString(0), CancellationToken.None));
        Assert.Equal(199, stored.Count);
        Assert.DoesNotContain("write-77", stored);
    }

    [Fact]
    public async Task WriteAsync_AlreadyCancelled_DoesNotRun()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var ran = false;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Database.WriteAsync((_, _) => Task.FromResult(ran = true), cancelled.Token));

        Assert.False(ran);
    }
}
