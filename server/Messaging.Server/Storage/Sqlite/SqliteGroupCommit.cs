using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Messaging.Server.Storage.Sqlite;

/// <summary>
/// Group commit: concurrent writes wait in a queue; one writer takes every write waiting, runs them in a single
/// transaction, and commits once. With <c>synchronous=FULL</c> a commit costs one fsync, so
/// many senders share it instead of queueing for one each. No write is answered before the commit that holds it
/// is durable; a write that fails is rolled back alone (the batch runs again with a savepoint per write) and gets its
/// own exception.
/// </summary>
/// <remarks>
/// The writer is a thread of its own, not a loop on the thread pool. SQLite's API is synchronous under its async
/// methods, so a commit holds its thread through the WAL's writes and the <c>fsync</c>, a millisecond or more; on the
/// pool, that was one of the few workers (two on two cores) that also serve every socket, and the pool made up for it
/// with more threads and more switches between them. On a thread of its own, the benchmark's durable peak rose by about
/// a quarter, at a fifth less server CPU per delivery (docs/benchmarks.md).
/// </remarks>
internal sealed class SqliteGroupCommit : IAsyncDisposable
{
    /// <summary>Bounds a batch, so that a transaction (and the wait of its first writer) stays short.</summary>
    public const int MaxBatch = 256;

    private readonly Channel<IWrite> queue = Channel.CreateUnbounded<IWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<SqliteConnection> open;
    private readonly Func<SqliteConnection, Task<long>> checkpoint;
    private readonly TaskCompletionSource stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int checkpointRequested;

    public SqliteGroupCommit(Func<SqliteConnection> open, Func<SqliteConnection, Task<long>> checkpoint)
    {
        this.open = open;
        this.checkpoint = checkpoint;
        new Thread(WriteLoop) { IsBackground = true, Name = "SQLite writer" }.Start();
    }

    private interface IWrite
    {
        CancellationToken CancellationToken { get; }

        Task RunAsync(SqliteConnection connection, SqliteTransaction transaction);

        void Committed();

        void Failed(Exception exception);
    }

    public Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        var write = new Write<T>(work, cancellationToken);
        return queue.Writer.TryWrite(write) ? write.Task : Task.FromException<T>(new ObjectDisposedException(nameof(SqliteGroupCommit)));
    }

    /// <summary>Asks the writer to run a checkpoint after its next commit (see <see cref="SqliteDatabase"/>).</summary>
    public void RequestCheckpoint() => Volatile.Write(ref checkpointRequested, 1);

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await stopped.Task;
    }

    /// <summary>
    /// The writer thread. Every write, commit and checkpoint completes synchronously (SQLite's API does), so the loop
    /// below never leaves this thread. A write that awaited something truly asynchronous would still be answered
    /// rightly: the rest of the loop would go on on the thread pool, as it did before it had a thread, and this one wait.
    /// </summary>
    private void WriteLoop()
    {
        try
        {
            WriteBatchesAsync().GetAwaiter().GetResult();
            stopped.TrySetResult();
        }
        catch (Exception e)
        {
            stopped.TrySetException(e);
        }
    }

    private async Task WriteBatchesAsync()
    {
        var batch = new List<IWrite>(MaxBatch);
        SqliteConnection? connection = null;
        try
        {
            while (WaitForWrites())
            {
                batch.Clear();
                while (batch.Count < MaxBatch && queue.Reader.TryRead(out var write))
                {
                    if (write.CancellationToken.IsCancellationRequested)
                    {
                        write.Failed(new OperationCanceledException(write.CancellationToken));
                    }
                    else
                    {
                        batch.Add(write);
                    }
                }

                if (batch.Count > 0)
                {
                    connection ??= open();
                    if (!await CommitAsync(connection, batch))
                    {
                        // The connection may be unusable after a failed commit: start again with a fresh one.
                        await CloseAsync(connection);
                        connection = null;
                    }
                    else if (Interlocked.Exchange(ref checkpointRequested, 0) == 1)
                    {
                        await CheckpointQuietlyAsync(connection);
                    }
                }
            }
        }
        finally
        {
            if (connection is not null)
            {
                await CloseAsync(connection);
            }
        }
    }

    /// <summary>
    /// Blocks the writer thread until a write waits or the queue is closed. Awaiting instead would move the loop onto
    /// the thread pool at the first wait.
    /// </summary>
    private bool WaitForWrites()
    {
        var wait = queue.Reader.WaitToReadAsync();
        return wait.IsCompletedSuccessfully ? wait.Result : wait.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>The writer's statements are finalized first: a pooled connection outlives this object.</summary>
    private static ValueTask CloseAsync(SqliteConnection connection)
    {
        SqliteReusableCommands.ReleaseStatements(connection);
        return connection.DisposeAsync();
    }

    /// <summary>Between commits, so no write waits on more than the frames the background checkpoint left.</summary>
    private async Task CheckpointQuietlyAsync(SqliteConnection connection)
    {
        try
        {
            await checkpoint(connection);
        }
        catch (SqliteException)
        {
            // A reader's snapshot or another process held it back: the next request tries again.
        }
    }

    private static async Task<bool> CommitAsync(SqliteConnection connection, List<IWrite> batch)
    {
        Exception?[]? outcomes = null;
        try
        {
            // Writes rarely fail, so the batch first runs as it is, without a savepoint per write (each costs two more
            // statements, and SQLite copies every page a write touches inside one). If a write does fail, the whole
            // transaction is rolled back and the batch runs again with a savepoint per write: the same writes on the
            // same state (a write only returns a value from the database), so only the failing one fails.
            var committed = false;
            await using (var transaction = connection.BeginTransaction(deferred: false))
            {
                if (await RunTogetherAsync(connection, transaction, batch))
                {
                    await transaction.CommitAsync(CancellationToken.None);
                    committed = true;
                }
                else
                {
                    await transaction.RollbackAsync(CancellationToken.None);
                }
            }

            if (!committed)
            {
                await using var transaction = connection.BeginTransaction(deferred: false);
                outcomes = await RunEachInItsSavepointAsync(connection, transaction, batch);
                await transaction.CommitAsync(CancellationToken.None);
            }
        }
        catch (Exception e)
        {
            foreach (var write in batch)
            {
                write.Failed(e);
            }

            return false;
        }

        Complete(batch, outcomes);
        return true;
    }

    private static async Task<bool> RunTogetherAsync(SqliteConnection connection, SqliteTransaction transaction, List<IWrite> batch)
    {
        foreach (var write in batch)
        {
            try
            {
                await write.RunAsync(connection, transaction);
            }
            catch (Exception)
            {
                return false;
            }
        }

        return true;
    }

    private static async Task<Exception?[]> RunEachInItsSavepointAsync(SqliteConnection connection, SqliteTransaction transaction, List<IWrite> batch)
    {
        var outcomes = new Exception?[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            connection.Reusable("SAVEPOINT w;", transaction).Execute();
            try
            {
                await batch[i].RunAsync(connection, transaction);
                connection.Reusable("RELEASE w;", transaction).Execute();
            }
            catch (Exception e)
            {
                connection.Reusable("ROLLBACK TO w;", transaction).Execute();
                connection.Reusable("RELEASE w;", transaction).Execute();
                outcomes[i] = e;
            }
        }

        return outcomes;
    }

    /// <summary>Answers every write of a committed batch: its result, or the exception of a write that failed alone.</summary>
    private static void Complete(List<IWrite> batch, Exception?[]? outcomes)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes?[i] is { } failure)
            {
                batch[i].Failed(failure);
            }
            else
            {
                batch[i].Committed();
            }
        }
    }

    private sealed class Write<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken) : IWrite
    {
        private readonly TaskCompletionSource<T> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? result;

        public Task<T> Task => completion.Task;

        public CancellationToken CancellationToken => cancellationToken;

        public async Task RunAsync(SqliteConnection connection, SqliteTransaction transaction) => result = await work(connection, transaction);

        public void Committed() => completion.TrySetResult(result!);

        public void Failed(Exception exception)
        {
            if (exception is OperationCanceledException canceled)
            {
                completion.TrySetCanceled(canceled.CancellationToken);
            }
            else
            {
                completion.TrySetException(exception);
            }
        }
    }
}
