using Messaging.Server.Storage.Sqlite;
using Messaging.Testing;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Messaging.Server.Tests.Storage;

/// <summary>
/// The writer's statements, run through SQLitePCLRaw: errors surface as Microsoft.Data.Sqlite's exceptions, a failed
/// run leaves the statement ready for the next, and nothing stays prepared once the writer lets its connection go.
/// </summary>
public sealed class SqliteReusableCommandsTests : IDisposable
{
    private readonly TempDirectory folder = new();
    private readonly SqliteConnection connection;

    public SqliteReusableCommandsTests()
    {
        connection = new SqliteConnection($"Data Source={Path.Combine(folder.Path, "statements.db")};Pooling=False");
        connection.Open();
        connection.Handle!.enable_sqlite3_next_stmt(true); // SQLitePCLRaw answers sqlite3_next_stmt only when asked to
        using var create = connection.CreateCommand();
        create.CommandText = "CREATE TABLE items (id BLOB PRIMARY KEY, label TEXT NOT NULL, size INTEGER NOT NULL) WITHOUT ROWID;";
        create.ExecuteNonQuery();
    }

    public void Dispose()
    {
        SqliteReusableCommands.ReleaseStatements(connection);
        connection.Dispose();
        folder.Dispose();
    }

    [Fact]
    public void Execute_ConstraintViolated_ThrowsSqliteExceptionAndTheStatementRunsAgain()
    {
        using var transaction = connection.BeginTransaction();
        var first = Guid.CreateVersion7();
        var second = Guid.CreateVersion7();
        var insert = connection.Reusable("INSERT INTO items (id, label, size) VALUES ($id, $label, $size);", transaction);
        Assert.Equal(1, insert.SetBlobId("$id", first).SetTextId("$label", first).Set("$size", 1).Execute());

        var violation = Assert.Throws<SqliteException>(() => insert.Set("$size", 2).Execute());
        var afterwards = insert.SetBlobId("$id", second).Set("$size", 3).Execute();

        Assert.Equal(raw.SQLITE_CONSTRAINT, violation.SqliteErrorCode);
        Assert.Equal(1, afterwards);
        Assert.Equal([(first.ToString("D"), 1L), (first.ToString("D"), 3L)], Items(transaction));
    }

    [Fact]
    public void TryReadSingle_NoRowOneRowOrTwo_FalseTheRowOrThrows()
    {
        using var transaction = connection.BeginTransaction();
        var id = Guid.CreateVersion7();
        var insert = connection.Reusable("INSERT INTO items (id, label, size) VALUES ($id, 'x', $size);", transaction);
        insert.SetBlobId("$id", id).Set("$size", 42).Execute();
        insert.SetBlobId("$id", Guid.CreateVersion7()).Set("$size", 42).Execute();
        var find = connection.Reusable("SELECT id, size FROM items WHERE size = $size ORDER BY id;", transaction);

        var none = find.Set("$size", 7).TryReadSingle(r => r.GetInt64(1), out _);
        Assert.Throws<InvalidOperationException>(() => find.Set("$size", 42).TryReadSingle(r => r.GetInt64(1), out _));
        var byId = connection.Reusable("SELECT id, size FROM items WHERE id = $id;", transaction)
            .SetBlobId("$id", id)
            .TryReadSingle(r => (r.GetBlobId(0), r.GetInt64(1)), out var row);

        Assert.False(none);
        Assert.True(byId);
        Assert.Equal((id, 42L), row);
    }

    [Fact]
    public void SetBlobId_TheBytesOfSqliteValuesBlobId_SoOtherQueriesFindTheRow()
    {
        using var transaction = connection.BeginTransaction();
        var id = Guid.CreateVersion7();
        connection.Reusable("INSERT INTO items (id, label, size) VALUES ($id, 'x', 1);", transaction).SetBlobId("$id", id).Execute();

        using var select = connection.CreateCommand();
        select.Transaction = transaction;
        select.CommandText = "SELECT count(*) FROM items WHERE id = $id;";
        select.Parameters.AddWithValue("$id", SqliteValues.BlobId(id));

        Assert.Equal(1L, select.ExecuteScalar());
    }

    [Fact]
    public void ReleaseStatements_AfterRuns_LeavesNoStatementPreparedOnTheConnection()
    {
        using (var transaction = connection.BeginTransaction())
        {
            connection.Reusable("INSERT INTO items (id, label, size) VALUES ($id, 'x', 1);", transaction).SetBlobId("$id", Guid.CreateVersion7()).Execute();
            connection.Reusable("SELECT size FROM items;", transaction).TryReadSingle(r => r.GetInt64(0), out _);
            transaction.Commit();
        }

        Assert.NotNull(raw.sqlite3_next_stmt(connection.Handle, null));
        SqliteReusableCommands.ReleaseStatements(connection);

        Assert.Null(raw.sqlite3_next_stmt(connection.Handle, null));
    }

    [Fact]
    public void Reusable_TransactionOfAnotherConnection_IsRefused()
    {
        using var other = new SqliteConnection(connection.ConnectionString);
        other.Open();
        using var transaction = other.BeginTransaction();

        Assert.Throws<InvalidOperationException>(() => connection.Reusable("SELECT 1;", transaction));
    }

    private List<(string Label, long Size)> Items(SqliteTransaction transaction)
    {
        using var select = connection.CreateCommand();
        select.Transaction = transaction;
        select.CommandText = "SELECT label, size FROM items ORDER BY size;";
        using var reader = select.ExecuteReader();
        var items = new List<(string, long)>();
        while (reader.Read())
        {
            items.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        return items;
    }
}
