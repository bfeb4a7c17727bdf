using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Messaging.Server.Storage.Sqlite;

/// <summary>
/// Statements the writer runs for every message (the append, the acknowledgement, the savepoints), prepared once per
/// writer connection and run again with new values: no parsing, and no command, parameter or statement objects per
/// message (they were half of the server's allocations at peak). Only for the writer's connection, which one writer
/// uses at a time and which lives until it fails; a pooled reader connection is a new object on every open.
/// </summary>
internal static class SqliteReusableCommands
{
    private static readonly ConditionalWeakTable<SqliteConnection, Dictionary<string, SqliteCommand>> Prepared = [];

    public static ReusableCommand Reusable(this SqliteConnection connection, string sql, SqliteTransaction transaction)
    {
        var commands = Prepared.GetOrCreateValue(connection);
        if (!commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            commands[sql] = command;
        }

        command.Transaction = transaction;
        return new ReusableCommand(command);
    }
}

/// <summary>A prepared statement whose parameters keep their objects from one run to the next.</summary>
internal readonly struct ReusableCommand(SqliteCommand command)
{
    public ReusableCommand Set(string name, object? value)
    {
        var parameters = command.Parameters;
        var index = parameters.IndexOf(name);
        if (index < 0)
        {
            parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        else
        {
            parameters[index].Value = value ?? DBNull.Value;
        }

        return this;
    }

    /// <summary>Runs the statement (the write is committed whole with its batch: it is not cancelled midway).</summary>
    public Task<int> ExecuteAsync() => command.ExecuteNonQueryAsync(CancellationToken.None);

    public Task<List<T>> ReadAllAsync<T>(Func<SqliteDataReader, T> map) => SqliteValues.ReadRowsAsync(command, map, CancellationToken.None);
}
