using Messaging.Server.Hosting;
using Microsoft.Data.Sqlite;

namespace Messaging.Server.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode with <c>synchronous=FULL</c>, so a committed transaction
/// survives a crash or a power cut. Writers are serialised in-process (SQLite allows one writer at a time; waiting
/// on a semaphore is cheaper and fairer than spinning on SQLITE_BUSY); readers run concurrently beside them.
/// </summary>
internal sealed class SqliteDatabase : IStoreHealth, IDisposable
{
    private readonly string connectionString;
    private readonly SemaphoreSlim writeLock = new(1, 1);

    public SqliteDatabase(string filePath)
    {
        FilePath = Path.GetFullPath(filePath);
        CreateOwnerOnly(FilePath);
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string FilePath { get; }

    /// <summary>
    /// The folder and the file are readable by the server's user only; SQLite gives the WAL and shared-memory files
    /// the same permissions as the database file.
    /// </summary>
    private static void CreateOwnerOnly(string filePath)
    {
        try
        {
            using var _ = OwnerOnlyFiles.CreateNewFile(filePath);
        }
        catch (IOException) when (File.Exists(filePath))
        {
            // It exists already (an earlier start, or another process just now): keep it as it is.
        }
    }

    /// <summary>Creates or upgrades the schema. Idempotent; runs at start-up before the server listens.</summary>
    public void Migrate()
    {
        using var connection = Open();
        using (var wal = connection.CreateCommand())
        {
            // WAL is a property of the file: set once, it stays.
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            wal.ExecuteNonQuery();
        }

        SqliteSchema.Apply(connection);
    }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var pragmas = connection.CreateCommand();
        // synchronous and foreign_keys are per connection; secure_delete overwrites deleted ciphertext in the file.
        pragmas.CommandText = "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;";
        pragmas.ExecuteNonQuery();
        return connection;
    }

    public async Task<T> ReadAsync<T>(Func<SqliteConnection, Task<T>> read)
    {
        await using var connection = Open();
        return await read(connection);
    }

    /// <summary>
    /// Runs <paramref name="write"/> in one immediate transaction and commits it durably. The work itself is not
    /// cancelled once it holds the lock: a transaction is either committed whole or rolled back whole.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> write, CancellationToken cancellationToken)
    {
        await writeLock.WaitAsync(cancellationToken);
        try
        {
            await using var connection = Open();
            await using var transaction = connection.BeginTransaction(deferred: false);
            var result = await write(connection, transaction);
            await transaction.CommitAsync(CancellationToken.None);
            return result;
        }
        finally
        {
            writeLock.Release();
        }
    }

    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = Open();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM schema_migrations;";
            return await command.ExecuteScalarAsync(cancellationToken) is long;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        writeLock.Dispose();
        SqliteConnection.ClearAllPools();
    }
}
