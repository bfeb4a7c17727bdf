using Messaging.Server.Features.Notifications;
using Microsoft.Data.Sqlite;
using static Messaging.Server.Storage.Sqlite.SqliteValues;

namespace Messaging.Server.Storage.Sqlite;

/// <summary>
/// The notification outbox in <c>notifications</c>, the links of sent ones (by token hash) in <c>notification_links</c>.
/// Every write is one statement, or a read and a write, on the single writer: the debounce check and the insert, the
/// choice of due notifications and their lease, the check of a link and its use cannot interleave with another write.
/// </summary>
internal sealed class SqliteNotificationStore(SqliteDatabase database) : INotificationStore
{
    private const string Columns =
        "id, patient_account_id, conversation_id, created_at, due_at, state, attempts, lease_until, last_error, closed_at";

    private const string LinkColumns = "token_hash, notification_id, patient_account_id, conversation_id, expires_at, used_at";

    /// <summary>What is due at <c>$now</c> and free: pending, due, and not leased or with its lease over.</summary>
    private const string Due = "state = 'pending' AND due_at <= $now AND (lease_until IS NULL OR lease_until <= $now)";

    public async Task<bool> TryScheduleAsync(Notification notification, TimeSpan window, CancellationToken cancellationToken) =>
        await database.WriteAsync((connection, transaction) =>
            connection.Command(
                    $"""
                     INSERT INTO notifications ({Columns})
                     SELECT $id, $patient, $conversation, $created, $due, $state, $attempts, $lease, $error, $closed
                     WHERE NOT EXISTS (
                         SELECT 1 FROM notifications
                         WHERE patient_account_id = $patient AND created_at > $since AND state IN ('pending', 'sent'));
                     """, transaction)
                .With("$id", Id(notification.Id))
                .With("$patient", Id(notification.PatientAccountId))
                .With("$conversation", Id(notification.ConversationId))
                .With("$created", Time(notification.CreatedAt))
                .With("$due", Time(notification.DueAt))
                .With("$state", notification.State)
                .With("$attempts", notification.Attempts)
                .With("$lease", notification.LeaseUntil is { } lease ? Time(lease) : null)
                .With("$error", notification.LastError)
                .With("$closed", notification.ClosedAt is { } closed ? Time(closed) : null)
                .With("$since", Time(notification.CreatedAt) - window.Ticks)
                .ExecuteAsync(CancellationToken.None), cancellationToken) == 1;

    public async Task<IReadOnlyList<Notification>> LeaseDueAsync(DateTimeOffset now, TimeSpan lease, int max, CancellationToken cancellationToken)
    {
        // A lease that ends at once would leave the notification free, and the next round would take it again.
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        if (max <= 0)
        {
            return [];
        }

        var leased = await database.WriteAsync((connection, transaction) =>
            connection.Command(
                    $"""
                     UPDATE notifications SET lease_until = $until
                     WHERE id IN (SELECT id FROM notifications WHERE {Due} ORDER BY due_at, id LIMIT $max)
                     RETURNING {Columns};
                     """, transaction)
                .With("$now", Time(now))
                .With("$until", Time(now + lease))
                .With("$max", max)
                .ReadAllAsync(Map, CancellationToken.None), cancellationToken);

        // RETURNING gives the rows in no particular order: oldest due first, as they were chosen.
        return [.. leased.OrderBy(n => n.DueAt).ThenBy(n => Id(n.Id), StringComparer.Ordinal)];
    }

    public Task CloseAsync(Guid notificationId, string state, int attempts, string? lastError, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (state is not (NotificationStates.Sent or NotificationStates.Cancelled or NotificationStates.Dead))
        {
            throw new ArgumentOutOfRangeException(nameof(state), state, "A notification closes as sent, cancelled or dead.");
        }

        return database.WriteAsync((connection, transaction) =>
            connection.Command(
                    """
                    UPDATE notifications
                    SET state = $state, attempts = $attempts, last_error = $error, closed_at = $at, lease_until = NULL
                    WHERE id = $id AND state = 'pending';
                    """, transaction)
                .With("$id", Id(notificationId))
                .With("$state", state)
                .With("$attempts", attempts)
                .With("$error", lastError)
                .With("$at", Time(at))
                .ExecuteAsync(CancellationToken.None), cancellationToken);
    }

    public Task RescheduleAsync(Guid notificationId, int attempts, string lastError, DateTimeOffset dueAt, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, transaction) =>
            connection.Command(
                    """
                    UPDATE notifications SET attempts = $attempts, last_error = $error, due_at = $due, lease_until = NULL
                    WHERE id = $id AND state = 'pending';
                    """, transaction)
                .With("$id", Id(notificationId))
                .With("$attempts", attempts)
                .With("$error", lastError)
                .With("$due", Time(dueAt))
                .ExecuteAsync(CancellationToken.None), cancellationToken);

    public Task<Notification?> FindAsync(Guid notificationId, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
            (await connection.Command($"SELECT {Columns} FROM notifications WHERE id = $id;")
                .With("$id", Id(notificationId))
                .ReadAllAsync(Map, cancellationToken)).SingleOrDefault());

    public async Task<IReadOnlyList<Notification>> ListDeadAsync(IReadOnlyCollection<Guid> patientAccountIds, int limit, CancellationToken cancellationToken)
    {
        if (patientAccountIds.Count == 0 || limit == 0)
        {
            return [];
        }

        return await database.ReadAsync(connection =>
            connection.Command(
                    $"""
                     SELECT {Columns} FROM notifications
                     WHERE state = 'dead' AND patient_account_id IN ({InList("p", patientAccountIds.Count)})
                     ORDER BY closed_at DESC, id DESC LIMIT $limit;
                     """)
                .WithIds("p", patientAccountIds)
                .With("$limit", limit)
                .ReadAllAsync(Map, cancellationToken));
    }

    public Task SaveLinkAsync(NotificationLink link, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, transaction) =>
            connection.Command(
                    $"""
                     INSERT INTO notification_links ({LinkColumns}) VALUES ($token, $notification, $patient, $conversation, $expires, $used)
                     ON CONFLICT (token_hash) DO NOTHING;
                     """, transaction)
                .With("$token", link.TokenHash)
                .With("$notification", Id(link.NotificationId))
                .With("$patient", Id(link.PatientAccountId))
                .With("$conversation", Id(link.ConversationId))
                .With("$expires", Time(link.ExpiresAt))
                .With("$used", link.UsedAt is { } used ? Time(used) : null)
                .ExecuteAsync(CancellationToken.None), cancellationToken);

    public Task<NotificationLink?> UseLinkAsync(byte[] tokenHash, DateTimeOffset at, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            var link = (await connection.Command($"SELECT {LinkColumns} FROM notification_links WHERE token_hash = $token;", transaction)
                .With("$token", tokenHash)
                .ReadAllAsync(MapLink, CancellationToken.None)).SingleOrDefault();
            if (link is { UsedAt: null } && link.ExpiresAt > at)
            {
                await connection.Command("UPDATE notification_links SET used_at = $at WHERE token_hash = $token;", transaction)
                    .With("$token", tokenHash)
                    .With("$at", Time(at))
                    .ExecuteAsync(CancellationToken.None);
            }

            return link;
        }, cancellationToken);

    private static Notification Map(SqliteDataReader r) =>
        new(r.GetId(0), r.GetId(1), r.GetId(2), r.GetTime(3), r.GetTime(4))
        {
            State = r.GetString(5),
            Attempts = r.GetInt32(6),
            LeaseUntil = r.GetNullableTime(7),
            LastError = r.GetNullableString(8),
            ClosedAt = r.GetNullableTime(9),
        };

    public Task<int> PurgeClosedBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        database.DeleteInBatchesAsync("notifications", "rowid", "closed_at", before, cancellationToken);

    public Task<int> PurgeExpiredLinksAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        database.DeleteInBatchesAsync("notification_links", "token_hash", "expires_at", now, cancellationToken);

    private static NotificationLink MapLink(SqliteDataReader r) =>
        new(r.GetBytes(0), r.GetId(1), r.GetId(2), r.GetId(3), r.GetTime(4)) { UsedAt = r.GetNullableTime(5) };
}
