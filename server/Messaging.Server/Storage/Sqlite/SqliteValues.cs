using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Messaging.Server.Storage.Sqlite;

/// <summary>
/// How values are written to and read from SQLite: ids as text, except in the message tables (blobs, see
/// <see cref="BlobId"/>); times as UTC ticks.
/// </summary>
internal static class SqliteValues
{
    public static string Id(Guid id) => id.ToString("D", CultureInfo.InvariantCulture);

    /// <summary>
    /// An id as 16 bytes in RFC 9562 order (what <c>unhex</c> of its text gives), so UUIDv7 ids sort by time as
    /// their text did. The messages and the queue store ids this way (migration 8): a third of the bytes of text,
    /// in every row and index entry each delivery writes, and no string to format or parse.
    /// </summary>
    public static byte[] BlobId(Guid id) => id.ToByteArray(bigEndian: true);

    public static long Time(DateTimeOffset time) => time.UtcTicks;

    public static Guid GetId(this SqliteDataReader reader, int ordinal) => Guid.ParseExact(reader.GetString(ordinal), "D");

    public static Guid GetBlobId(this SqliteDataReader reader, int ordinal) => new(reader.GetBytes(ordinal), bigEndian: true);

    public static Guid? GetNullableId(this SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetId(ordinal);

    public static DateTimeOffset GetTime(this SqliteDataReader reader, int ordinal) => new(reader.GetInt64(ordinal), TimeSpan.Zero);

    public static DateTimeOffset? GetNullableTime(this SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetTime(ordinal);

    public static string? GetNullableString(this SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static byte[] GetBytes(this SqliteDataReader reader, int ordinal) => (byte[])reader.GetValue(ordinal);

    /// <summary>
    /// A command to run once through <see cref="ExecuteAsync"/> or <see cref="ReadAllAsync"/>, which dispose it. A
    /// command left undisposed stays in its connection's command list, and pooled connections live for the whole
    /// process: the list grows with every statement and each later dispose scans it (it took a third of the CPU).
    /// </summary>
    public static SqliteCommand Command(this SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    public static SqliteCommand With(this SqliteCommand command, string name, object? value)
    {
        command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    /// <summary>SQL text for an IN list of <paramref name="count"/> parameters named with <paramref name="prefix"/>.</summary>
    public static string InList(string prefix, int count) =>
        string.Join(", ", Enumerable.Range(0, count).Select(i => $"${prefix}{i}"));

    public static SqliteCommand WithIds(this SqliteCommand command, string prefix, IEnumerable<Guid> ids)
    {
        var i = 0;
        foreach (var id in ids)
        {
            command.With($"${prefix}{i++}", Id(id));
        }

        return command;
    }

    /// <summary>Runs the command once and disposes it; returns the number of rows changed.</summary>
    public static async Task<int> ExecuteAsync(this SqliteCommand command, CancellationToken cancellationToken)
    {
        await using (command)
        {
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Runs the command once, maps every row, and disposes it.</summary>
    public static async Task<List<T>> ReadAllAsync<T>(this SqliteCommand command, Func<SqliteDataReader, T> map, CancellationToken cancellationToken)
    {
        await using var owned = command;
        return await ReadRowsAsync(command, map, cancellationToken);
    }

    /// <summary>Runs the command and maps every row; the command stays the caller's.</summary>
    public static async Task<List<T>> ReadRowsAsync<T>(SqliteCommand command, Func<SqliteDataReader, T> map, CancellationToken cancellationToken)
    {
        var results = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            results.Add(map(reader));
        }

        return results;
    }
}
