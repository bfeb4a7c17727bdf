using System.Globalization;
using System.Text.RegularExpressions;
using Messaging.Server.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Messaging.Server.Tests.Storage;

/// <summary>
/// The queue's statements find their rows through an index, never by scanning the queue (which holds every waiting
/// copy's ciphertext) nor by sorting it, and the record sweeps find old rows through an index on their time: SQLite's
/// own plan for each, on the migrated schema.
/// </summary>
public sealed partial class SqliteQueryPlanTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "messaging-plan-tests", Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture));

    public static TheoryData<string, string[]> Statements => new()
    {
        { QueueSql.ReadQueue, ["SEARCH queue USING INDEX queue_order (device_id=? AND (enqueued_at,conversation_id,sequence)>(?,?,?))"] },
        { QueueSql.ReadMessageCopies, ["SEARCH queue USING INDEX queue_by_message_id (message_id=? AND conversation_id=?)"] },
        { QueueSql.DeleteCopy, ["SEARCH queue USING INDEX queue_by_message_id (message_id=? AND conversation_id=? AND device_id=?)"] },
        { QueueSql.DeleteQueue, ["SEARCH queue USING INDEX queue_order (device_id=?)"] },
        {
            QueueSql.PurgeExpiredCopies,
            [
                "SEARCH queue USING COVERING INDEX queue_by_message_id (message_id=? AND conversation_id=?)",
                "SEARCH messages USING COVERING INDEX messages_by_expiry (expires_at<?)",
            ]
        },
        {
            QueueSql.PurgeExpiredMessages,
            [
                "SEARCH messages USING PRIMARY KEY (message_id=? AND conversation_id=?)",
                "SEARCH messages USING COVERING INDEX messages_by_expiry (expires_at<?)",
            ]
        },

        // The record sweeps' batches (migrations 1 and 10): each finds its old rows through the index on their time.
        Sweep("audit_events", "rowid", "at", "audit_by_time"),
        Sweep("session_families", "rowid", "created_at", "session_families_by_creation"),
        Sweep("refresh_tokens", "token_hash", "issued_at", "refresh_tokens_by_issue"),
        Sweep("notification_links", "token_hash", "expires_at", "notification_links_by_expiry"),
        Sweep("notifications", "rowid", "closed_at", "notifications_by_closing"),
        Sweep("invitations", "rowid", "expires_at", "invitations_by_expiry"),
    };

    private static TheoryDataRow<string, string[]> Sweep(string table, string key, string timeColumn, string index) =>
        new(SqliteDatabase.BatchDeleteSql(table, key, timeColumn),
            [
                key == "rowid" ? $"SEARCH {table} USING INTEGER PRIMARY KEY (rowid=?)" : $"SEARCH {table} USING PRIMARY KEY ({key}=?)",
                $"SEARCH {table} USING COVERING INDEX {index} ({timeColumn}<?)",
            ]);

    [Theory]
    [MemberData(nameof(Statements))]
    public void Statement_OnTheMigratedSchema_FindsItsRowsThroughAnIndex(string sql, string[] expectedPlan)
    {
        Directory.CreateDirectory(directory);
        using var database = new SqliteDatabase(Path.Combine(directory, SqliteStorage.FileName));
        database.Migrate();
        using var connection = database.Open();

        Assert.Equal(expectedPlan, PlanOf(connection, sql));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// How the plan reaches rows, in order: its searches, scans and sorts (every parameter bound: the plan does not
    /// depend on the values). Steps that only group these, such as a subquery's heading, are left out.
    /// </summary>
    private static List<string> PlanOf(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var name in ParameterName().Matches(sql).Select(m => m.Value).Distinct())
        {
            command.Parameters.AddWithValue(name, 0);
        }

        using var reader = command.ExecuteReader();
        var steps = new List<string>();
        while (reader.Read())
        {
            var step = reader.GetString(reader.GetOrdinal("detail"));
            if (step.StartsWith("SEARCH ", StringComparison.Ordinal) || step.StartsWith("SCAN ", StringComparison.Ordinal)
                || step.StartsWith("USE TEMP B-TREE", StringComparison.Ordinal))
            {
                steps.Add(step);
            }
        }

        return steps;
    }

    [GeneratedRegex(@"\$\w+")]
    private static partial Regex ParameterName();
}
