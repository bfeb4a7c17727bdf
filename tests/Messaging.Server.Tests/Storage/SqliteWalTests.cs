using Messaging.Server.Storage.Sqlite;
using Messaging.Testing;
using Microsoft.Data.Sqlite;

namespace Messaging.Server.Tests.Storage;

/// <summary>
/// Under writes that never pause, the WAL still rewinds: the background checkpoint copies most of it and the writer
/// finishes between two commits. Without that, SQLite appends to the WAL for ever.
/// </summary>
public sealed class SqliteWalTests : IDisposable
{
    private const int Writers = 8;
    private const int WritesPerWriter = 640;
    private const int RowBytes = 4096;

    private readonly TempDirectory folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task WriteAsync_WithoutPause_KeepsTheWalFarShorterThanWhatWasWritten()
    {
        var path = Path.Combine(folder.Path, "messaging.db");
        using var database = new SqliteDatabase(path, new WalTuning
        {
            CheckpointInterval = TimeSpan.FromMilliseconds(20),
            RestartFrames = 64,
            SizeLimitBytes = 256 * 1024,
        });
        database.Migrate();
        await database.WriteAsync((connection, transaction) =>
            connection.Command("CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB NOT NULL);", transaction).ExecuteAsync(CancellationToken.None), CancellationToken.None);
        var body = new byte[RowBytes];
        var longestWal = 0L;

        // 8 writers one after the other without pause: about 20 MiB of rows, so the writer is never idle.
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < WritesPerWriter; i++)
            {
                await database.WriteAsync((connection, transaction) =>
                    connection.Command("INSERT INTO filler (body) VALUES ($body);", transaction).With("$body", body).ExecuteAsync(CancellationToken.None), CancellationToken.None);
                var wal = new FileInfo(path + "-wal");
                wal.Refresh();
                InterlockedMax(ref longestWal, wal.Exists ? wal.Length : 0);
            }
        })));

        var written = (long)Writers * WritesPerWriter * RowBytes;
        Assert.True(longestWal < written / 4, $"The WAL reached {longestWal:N0} bytes for {written:N0} bytes of rows.");
    }

    [Fact]
    public async Task Checkpoint_OnAConnectionFirstUsedBeforeTheFileWasInWalMode_CopiesTheWal()
    {
        // The checkpoint loop's first tick can come before the schema is created (on a slow start), on a pooled
        // connection that every later tick reuses: that connection must still see the WAL once the file is in WAL mode.
        var path = Path.Combine(folder.Path, "messaging.db");
        await using var early = new SqliteConnection($"Data Source={path};Pooling=False");
        early.Open();
        Assert.Equal(-1, await CheckpointWithoutReadAsync(early));
        using var database = new SqliteDatabase(path, new WalTuning { CheckpointInterval = TimeSpan.FromHours(1) });
        database.Migrate();
        await database.WriteAsync((connection, transaction) =>
            connection.Command("CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB NOT NULL);", transaction).ExecuteAsync(CancellationToken.None), CancellationToken.None);

        var frames = await SqliteDatabase.CheckpointAsync(early);

        Assert.True(frames > 0, $"The checkpoint saw {frames} frames in the WAL.");
    }

    /// <summary>What the loop's first tick did on a file not yet in WAL mode.</summary>
    private static async Task<long> CheckpointWithoutReadAsync(SqliteConnection connection) =>
        (await connection.Command("PRAGMA wal_checkpoint(PASSIVE);").ReadAllAsync(r => r.GetInt64(1), CancellationToken.None)).Single();

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) is var seen && seen != current)
        {
            current = seen;
        }
    }
}
