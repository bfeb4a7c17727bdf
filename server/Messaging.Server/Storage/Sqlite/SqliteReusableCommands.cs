using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Messaging.Server.Storage.Sqlite;

/// <summary>
/// Statements the writer runs for every message (the append, the acknowledgement, the savepoints), prepared once per
/// writer connection and run again with new values. They go to SQLite through SQLitePCLRaw, under Microsoft.Data.Sqlite:
/// a prepared <see cref="SqliteCommand"/> still allocates a data reader, a binder per parameter and a record on every
/// run (40 % of the server's allocations at peak), where a raw statement binds ids from the stack and reads columns in
/// place. Only for the writer's connection, which one writer uses at a time; <see cref="ReleaseStatements"/> finalizes
/// them before that connection is closed.
/// </summary>
internal static class SqliteReusableCommands
{
    private static readonly ConditionalWeakTable<SqliteConnection, Dictionary<string, ReusableStatement>> Prepared = [];

    /// <summary>
    /// The statement for <paramref name="sql"/> on the writer's connection. It runs in the transaction open on it,
    /// which <paramref name="transaction"/> stands for: these statements are for writes inside a group commit only.
    /// </summary>
    public static ReusableCommand Reusable(this SqliteConnection connection, string sql, SqliteTransaction transaction)
    {
        if (transaction.Connection != connection)
        {
            throw new InvalidOperationException("A reusable statement runs inside a transaction of its own connection.");
        }

        var statements = Prepared.GetOrCreateValue(connection);
        if (!statements.TryGetValue(sql, out var statement))
        {
            statement = ReusableStatement.Prepare(connection.Handle!, sql);
            statements[sql] = statement;
        }

        return new ReusableCommand(statement);
    }

    /// <summary>Finalizes the connection's statements; call it before the connection is closed or returned to its pool.</summary>
    public static void ReleaseStatements(SqliteConnection connection)
    {
        if (Prepared.TryGetValue(connection, out var statements))
        {
            foreach (var statement in statements.Values)
            {
                statement.Dispose();
            }

            Prepared.Remove(connection);
        }
    }
}

/// <summary>A prepared statement and where its named parameters are.</summary>
internal sealed class ReusableStatement : IDisposable
{
    /// <summary>SQLITE_PREPARE_PERSISTENT: the statement is kept for many runs, so SQLite does not take its memory from the lookaside pool.</summary>
    private const uint PreparePersistent = 0x01;

    private readonly Dictionary<string, int> parameters = [];

    private ReusableStatement(sqlite3 database, sqlite3_stmt handle)
    {
        Database = database;
        Handle = handle;
    }

    public sqlite3 Database { get; }

    public sqlite3_stmt Handle { get; }

    public static ReusableStatement Prepare(sqlite3 database, string sql)
    {
        var rc = raw.sqlite3_prepare_v3(database, sql, PreparePersistent, out var handle, out var tail);
        SqliteException.ThrowExceptionForRC(rc, database);
        if (!string.IsNullOrWhiteSpace(tail))
        {
            handle.Dispose();
            throw new ArgumentException("A reusable statement is a single SQL statement.", nameof(sql));
        }

        return new ReusableStatement(database, handle);
    }

    public int IndexOf(string name)
    {
        if (!parameters.TryGetValue(name, out var index))
        {
            index = raw.sqlite3_bind_parameter_index(Handle, name);
            if (index == 0)
            {
                throw new ArgumentException($"The statement has no parameter {name}.", nameof(name));
            }

            parameters[name] = index;
        }

        return index;
    }

    public void Dispose() => Handle.Dispose();
}

/// <summary>
/// Binds values to a <see cref="ReusableStatement"/> and runs it. Values stay bound from one run to the next, so a
/// value shared by every run (a device id) is bound once. Runs are synchronous: SQLite does not yield, and the writer
/// is its own thread of work.
/// </summary>
internal readonly struct ReusableCommand(ReusableStatement statement)
{
    public ReusableCommand Set(string name, long value)
    {
        Check(raw.sqlite3_bind_int64(statement.Handle, statement.IndexOf(name), value));
        return this;
    }

    public ReusableCommand Set(string name, ReadOnlySpan<byte> value)
    {
        // SQLitePCLRaw binds spans as SQLITE_TRANSIENT: SQLite copies the bytes, so the span may live on the stack.
        Check(raw.sqlite3_bind_blob(statement.Handle, statement.IndexOf(name), value));
        return this;
    }

    /// <summary>An id as 16 bytes in RFC order, as <see cref="SqliteValues.BlobId"/> writes it (the message tables).</summary>
    public ReusableCommand SetBlobId(string name, Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        return Set(name, bytes);
    }

    /// <summary>An id as its 36-character text, as <see cref="SqliteValues.Id"/> writes it (the other tables).</summary>
    public ReusableCommand SetTextId(string name, Guid id)
    {
        Span<byte> utf8 = stackalloc byte[36];
        id.TryFormat(utf8, out _, "D");
        Check(raw.sqlite3_bind_text(statement.Handle, statement.IndexOf(name), utf8));
        return this;
    }

    /// <summary>Runs the statement (committed whole with its batch: it is not cancelled midway); returns the rows changed.</summary>
    public int Execute()
    {
        try
        {
            int rc;
            while ((rc = raw.sqlite3_step(statement.Handle)) == raw.SQLITE_ROW)
            {
            }

            Check(rc);
            return raw.sqlite3_changes(statement.Database);
        }
        finally
        {
            raw.sqlite3_reset(statement.Handle);
        }
    }

    /// <summary>Runs the statement and maps its one row; false when it has none; throws when it has more.</summary>
    public bool TryReadSingle<T>(Func<StatementRow, T> map, [MaybeNullWhen(false)] out T value)
    {
        try
        {
            var rc = raw.sqlite3_step(statement.Handle);
            if (rc == raw.SQLITE_DONE)
            {
                value = default;
                return false;
            }

            Check(rc == raw.SQLITE_ROW ? raw.SQLITE_OK : rc);
            value = map(new StatementRow(statement.Handle));
            rc = raw.sqlite3_step(statement.Handle);
            if (rc == raw.SQLITE_ROW)
            {
                throw new InvalidOperationException("The statement returned more than one row.");
            }

            Check(rc);
            return true;
        }
        finally
        {
            raw.sqlite3_reset(statement.Handle);
        }
    }

    private void Check(int rc)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE))
        {
            SqliteException.ThrowExceptionForRC(rc, statement.Database);
        }
    }
}

/// <summary>The current row of a running <see cref="ReusableStatement"/>; valid until its next step.</summary>
internal readonly struct StatementRow(sqlite3_stmt statement)
{
    public long GetInt64(int column) => raw.sqlite3_column_int64(statement, column);

    public Guid GetBlobId(int column) => new(raw.sqlite3_column_blob(statement, column), bigEndian: true);

    public DateTimeOffset GetTime(int column) => new(GetInt64(column), TimeSpan.Zero);
}
