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
    private readonly CancellationTokenSource stopping = new();
    private readonly Task checkpoints;
    private int disposed;

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
        checkpoints = Task.Run(CheckpointLoopAsync);
    }

    /// <summary>How often the WAL is copied back into the database file, beside the writer instead of inside it.</summary>
    public static TimeSpan CheckpointInterval { get; } = TimeSpan.FromSeconds(1);

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
        // The writer never checkpoints inline (a checkpoint would stall every write queued behind it); the
        // checkpoint loop does it beside the writer. Durability does not depend on checkpoints: commits are in the WAL.
        pragmas.CommandText = "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; PRAGMA wal_autocheckpoint = 0;";
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

    /// <summary>PASSIVE checkpoints never wait for the writer: they copy what they can and try again next time.</summary>
    private async Task CheckpointLoopAsync()
    {
        using var timer = new PeriodicTimer(CheckpointInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping.Token))
            {
                try
                {
                    await using var connection = Open();
                    await using var checkpoint = connection.CreateCommand();
                    checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
                    await checkpoint.ExecuteNonQueryAsync(stopping.Token);
                }
                catch (SqliteException)
                {
                    // Busy or locked by another process: the next tick tries again.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
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
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        // Let queued writes finish and close the writer before the pools are cleared (the last close checkpoints).
        stopping.Cancel();
        checkpoints.GetAwaiter().GetResult();
        writes.DisposeAsync().AsTask().GetAwaiter().GetResult();
        stopping.Dispose();
        SqliteConnection.ClearAllPools();
    }
}
