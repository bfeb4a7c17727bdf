using Messaging.Server.Features.Audit;
using static Messaging.Server.Storage.Sqlite.SqliteValues;

namespace Messaging.Server.Storage.Sqlite;

internal sealed class SqliteAuditLog(SqliteDatabase database) : IAuditLog
{
    public Task AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, transaction) =>
            connection.Command(
                    """
                    INSERT INTO audit_events (id, at, action, outcome, account_id, device_id, target, reason, occurrences)
                    VALUES ($id, $at, $action, $outcome, $account, $device, $target, $reason, $occurrences);
                    """, transaction)
                .With("$id", Id(auditEvent.Id))
                .With("$at", Time(auditEvent.At))
                .With("$action", auditEvent.Action)
                .With("$outcome", auditEvent.Outcome)
                .With("$account", auditEvent.AccountId is { } account ? Id(account) : null)
                .With("$device", auditEvent.DeviceId is { } device ? Id(device) : null)
                .With("$target", auditEvent.Target)
                .With("$reason", auditEvent.Reason)
                .With("$occurrences", auditEvent.Occurrences)
                .ExecuteAsync(CancellationToken.None), cancellationToken);

    public Task<int> PurgeBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        database.DeleteInBatchesAsync("audit_events", "rowid", "at", before, cancellationToken);

    public Task<IReadOnlyList<AuditEvent>> ListRecentAsync(int limit, CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<AuditEvent>>(async connection =>
            await connection.Command(
                    "SELECT id, at, action, outcome, account_id, device_id, target, reason, occurrences FROM audit_events ORDER BY at DESC, id DESC LIMIT $limit;")
                .With("$limit", limit)
                .ReadAllAsync(r => new AuditEvent(
                    r.GetId(0), r.GetTime(1), r.GetString(2), r.GetString(3),
                    r.GetNullableId(4), r.GetNullableId(5), r.GetNullableString(6), r.GetNullableString(7), r.GetInt32(8)), cancellationToken));
}
