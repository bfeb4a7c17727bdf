using Messaging.Server.Hosting;
using Microsoft.Data.Sqlite;

namespace Messaging.Server.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode with <c>synchronous=FULL</c>, so a committed transaction
/// survives a crash or a power cut. SQLite allows one writer at a time, so all writes go through one long-lived
/// writer connection with group commit (<see cref="SqliteGroupCommit"/>); readers run concurrently beside it.
/// </summary>
/// <remarks>
/// The WAL must also start over now and then, or it grows without end under steady writes (1.2 GB in 18 s of the
/// benchmark): SQLite rewinds it only when a write transaction begins with every frame already copied back. A
/// background checkpoint copies most frames; once the WAL is past <see cref="WalTuning.RestartFrames"/>, the writer
/// copies the few frames left itself between two commits, so its next transaction rewinds the WAL.
/// </remarks>
internal sealed class SqliteDatabase : IStoreHealth, IDisposable
{
    private readonly string connectionString;
    private readonly SqliteGroupCommit writes;
    private readonly CancellationTokenSource stopping = new();
    private readonly WalTuning wal;
    private readonly Task checkpoints;
    private int disposed;

    public SqliteDatabase(string filePath, WalTuning? wal = null)
    {
        this.wal = wal ?? new WalTuning();
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
        writes = new SqliteGroupCommit(OpenWriter, CheckpointAsync);
        checkpoints = Task.Run(CheckpointLoopAsync);
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
    public void Migrate() => Migrate(directory => new DriveInfo(directory).AvailableFreeSpace);

    /// <summary>The same, with the free space of the data directory read by <paramref name="availableBytes"/>.</summary>
    internal void Migrate(Func<string, long> availableBytes)
    {
        using var connection = OpenWriter();
        using (var wal = connection.CreateCommand())
        {
            // WAL is a property of the file: set once, it stays.
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            wal.ExecuteNonQuery();
        }

        EnsureRoomToRebuild(connection, availableBytes(Path.GetDirectoryName(FilePath)!));
        SqliteSchema.Apply(connection);
    }

    /// <summary>
    /// A migration that rebuilds tables writes them again beside the old ones before it drops them: the WAL grows to
    /// about 1.4 times the database, then the file grows by the new tables as the WAL is copied back, so at their peak
    /// the two take about 2.7 times what the file took before (docs/architecture.md). Without twice the file free it
    /// could run for minutes, fill the disk and roll back; it is refused before it starts, with nothing changed.
    /// </summary>
    private void EnsureRoomToRebuild(SqliteConnection connection, long available)
    {
        if (SqliteSchema.PendingRebuild(connection) is not { } version)
        {
            return;
        }

        var size = LengthOf(FilePath) + LengthOf(FilePath + "-wal");
        var needed = 2 * size;
        if (available < needed)
        {
            throw new IOException(
                $"Schema migration {version} rewrites the message tables and needs about {Mebibytes(needed)} MiB free beside " +
                $"the database; {Mebibytes(available)} MiB are free. Nothing was changed: free some space and start again.");
        }
    }

    private static long LengthOf(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    private static long Mebibytes(long bytes) => (bytes + (1 << 20) - 1) >> 20;

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
        // The writer never checkpoints on its own (a whole checkpoint would stall every write queued behind it): the
        // loop does it beside the writer. Durability does not depend on checkpoints: commits are in the WAL. A WAL
        // rewound after a burst is cut back to the size limit. Savepoints' statement journals stay in memory.
        pragmas.CommandText = $"""
            PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; PRAGMA wal_autocheckpoint = 0;
            PRAGMA journal_size_limit = {wal.SizeLimitBytes}; PRAGMA temp_store = MEMORY;
            """;
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

    /// <summary>
    /// Deletes the rows of <paramref name="table"/> whose <paramref name="timeColumn"/> is before <paramref name="before"/>,
    /// a batch at a time, one commit each, until none is left: purging a table long left to grow then holds the single
    /// writer for a batch at a time, and deliveries go in between. Returns the rows deleted.
    /// </summary>
    public async Task<int> DeleteInBatchesAsync(string table, string key, string timeColumn, DateTimeOffset before, CancellationToken cancellationToken)
    {
        const int batch = 5_000;
        var sql = BatchDeleteSql(table, key, timeColumn);
        var total = 0;
        int deleted;
        do
        {
            deleted = await WriteAsync(
                (connection, transaction) => connection.Command(sql, transaction)
                    .With("$before", SqliteValues.Time(before))
                    .With("$limit", batch)
                    .ExecuteAsync(CancellationToken.None),
                cancellationToken);
            total += deleted;
        }
        while (deleted == batch);

        return total;
    }

    /// <summary>
    /// One batch of <see cref="DeleteInBatchesAsync"/>: up to <c>$limit</c> rows, found through the index on
    /// <paramref name="timeColumn"/> (<c>SqliteQueryPlanTests</c>) and deleted by their <paramref name="key"/>.
    /// </summary>
    internal static string BatchDeleteSql(string table, string key, string timeColumn) =>
        $"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} WHERE {timeColumn} < $before LIMIT $limit);";

    /// <summary>
    /// PASSIVE checkpoints never wait for the writer: they copy what they can and try again next time. When the WAL is
    /// long, the writer is asked to finish the job between two commits.
    /// </summary>
    private async Task CheckpointLoopAsync()
    {
        using var timer = new PeriodicTimer(wal.CheckpointInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping.Token))
            {
                try
                {
                    await using var connection = Open();
                    if (await CheckpointAsync(connection) >= wal.RestartFrames)
                    {
                        writes.RequestCheckpoint();
                    }
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

    /// <summary>A PASSIVE checkpoint on the connection; returns the WAL's length in frames.</summary>
    internal static async Task<long> CheckpointAsync(SqliteConnection connection)
    {
        var frames = await PassiveCheckpointAsync(connection);
        if (frames < 0)
        {
            // A connection learns that the file is in WAL mode when it reads it; until then its checkpoints do nothing
            // and report -1. The loop's pooled connection can be one that first ran before the schema existed (a slow
            // start) and has read nothing since: the WAL then grew past everything written. Reading the header once
            // fixes it; it is not read on every tick, because a read holds a snapshot that delays the WAL's rewind.
            await connection.Command("PRAGMA schema_version;").ReadAllAsync(r => r.GetInt64(0), CancellationToken.None);
            frames = await PassiveCheckpointAsync(connection);
        }

        return frames;
    }

    private static async Task<long> PassiveCheckpointAsync(SqliteConnection connection)
    {
        // One row: busy (0 or 1), frames in the WAL (-1 if the checkpoint could not run), frames copied back.
        var result = await connection.Command("PRAGMA wal_checkpoint(PASSIVE);").ReadAllAsync(r => r.GetInt64(1), CancellationToken.None);
        return result.Single();
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

/// <summary>How the WAL is kept short (defaults for production; tests shorten them).</summary>
internal sealed record WalTuning
{
    /// <summary>How often the WAL is copied back into the database file, beside the writer.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>WAL frames (of one 4 KiB page each) past which the writer finishes a checkpoint so the WAL rewinds.</summary>
    public long RestartFrames { get; init; } = 4096;

    /// <summary>What the WAL file is cut back to when it rewinds after a burst.</summary>
    public long SizeLimitBytes { get; init; } = 64L * 1024 * 1024;
}
