using Messaging.Server.Hosting;
using Microsoft.Data.Sqlite;

namespace Messaging.Server.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode with <c>synchronous=FULL</c>, so a committed transaction
/// survives a crash or a power cut. SQLite allows one writer at a time, so all writes go through one long-lived
/// writer connection with group commit (<see cref="SqliteGroupCommit"/>); readers run concurrently beside it.
/// </summary>
internal sealed class SqliteDatabase : IStoreHealth, IDisposable
{
    private readonly string connectionString;
    private readonly SqliteGroupCommit writes;

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
        writes = new SqliteGroupCommit(OpenWriter);
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
        using var connection = OpenWriter();
        using (var wal = connection.CreateCommand())
        {
            // WAL is a property of the file: set once, it stays.
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            wal.ExecuteNonQuery();
        }

        SqliteSchema.Apply(connection);
    }

    /// <summary>A connection for reading (pooled; reads need none of the writer's settings).</summary>
    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        return connection;
    }

    /// <summary>The writer's connection: durable commits, foreign keys checked, deleted ciphertext overwritten.</summary>
    private SqliteConnection OpenWriter()
    {
        var connection = Open();
        using var pragmas = connection.CreateCommand();
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
    /// Runs <paramref name="write"/> inside a durable transaction, possibly together with other writes (group
    /// commit), and completes only once that transaction is committed. The work is not cancelled once it started: it
    /// is committed whole or rolled back whole (to its own savepoint).
    /// </summary>
    public Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> write, CancellationToken cancellationToken) =>
        writes.WriteAsync(write, cancellationToken);

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
        // Let queued writes finish and close the writer before the pools are cleared.
        writes.DisposeAsync().AsTask().GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
    }
}
