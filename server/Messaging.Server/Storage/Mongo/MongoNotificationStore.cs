using Messaging.Server.Features.Notifications;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

/// <summary>
/// The notification outbox in <c>notifications</c>, the links of sent ones in <c>notification_links</c> (by token hash).
/// Scheduling is one transaction per patient that first writes the patient's guard document
/// (<see cref="NotificationGuardDocument"/>), then checks the debounce and inserts: a snapshot alone would let two
/// transactions both see nothing and both insert, but two writes of one guard conflict, so the second runs again and
/// sees the first one's notification. Leasing is one conditional update per notification, which MongoDB applies
/// atomically: of two concurrent callers, the second no longer matches. Using a link is a transaction (see there).
/// </summary>
internal sealed class MongoNotificationStore(MongoContext context) : INotificationStore
{
    private static readonly FilterDefinitionBuilder<NotificationDocument> Filter = Builders<NotificationDocument>.Filter;
    private static readonly UpdateDefinitionBuilder<NotificationDocument> Update = Builders<NotificationDocument>.Update;
    private static readonly FilterDefinitionBuilder<NotificationLinkDocument> Links = Builders<NotificationLinkDocument>.Filter;

    private static readonly FindOneAndUpdateOptions<NotificationDocument> OldestDueFirst = new()
    {
        Sort = Builders<NotificationDocument>.Sort.Ascending(n => n.DueAt).Ascending(n => n.Id),
        ReturnDocument = ReturnDocument.After,
    };

    private static readonly SortDefinition<NotificationDocument> NewestClosedFirst =
        Builders<NotificationDocument>.Sort.Descending(n => n.ClosedAt).Descending(n => n.Id);

    public async Task<bool> TryScheduleAsync(Notification notification, TimeSpan window, CancellationToken cancellationToken)
    {
        var guard = Builders<NotificationGuardDocument>.Filter.Eq(g => g.PatientAccountId, notification.PatientAccountId);
        // The guard exists before the transaction, so that the transactions only update it (a conflict, retried by the
        // driver) and never race to insert it.
        await MongoErrors.UpsertAsync(() => context.NotificationGuards().UpdateOneAsync(
            guard,
            Builders<NotificationGuardDocument>.Update.SetOnInsert(g => g.Schedules, 0L),
            new UpdateOptions { IsUpsert = true },
            cancellationToken));

        var document = ToDocument(notification);
        var since = document.CreatedAt - window.Ticks;
        return await context.InTransactionAsync(async (session, token) =>
        {
            await context.NotificationGuards().UpdateOneAsync(
                session, guard, Builders<NotificationGuardDocument>.Update.Inc(g => g.Schedules, 1L), cancellationToken: token);
            var blocking = Filter.Eq(n => n.PatientAccountId, notification.PatientAccountId)
                & Filter.Gt(n => n.CreatedAt, since)
                & Filter.In(n => n.State, [NotificationStates.Pending, NotificationStates.Sent]);
            if (await context.Notifications().Find(session, blocking).Limit(1).AnyAsync(token))
            {
                return false;
            }

            await context.Notifications().InsertOneAsync(session, document, cancellationToken: token);
            return true;
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<Notification>> LeaseDueAsync(DateTimeOffset now, TimeSpan lease, int max, CancellationToken cancellationToken)
    {
        // A lease that ends at once would leave the notification free, and the next round would take it again.
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        var ticks = MongoValues.Ticks(now);
        var free = Filter.Eq(n => n.State, NotificationStates.Pending)
            & Filter.Lte(n => n.DueAt, ticks)
            & (Filter.Eq(n => n.LeaseUntil, null) | Filter.Lte(n => n.LeaseUntil, ticks));
        var leaseUntil = Update.Set(n => n.LeaseUntil, MongoValues.Ticks(now + lease));
        var leased = new List<Notification>();
        while (leased.Count < max)
        {
            var document = await context.Notifications().FindOneAndUpdateAsync(free, leaseUntil, OldestDueFirst, cancellationToken);
            if (document is null)
            {
                break;
            }

            leased.Add(ToNotification(document));
        }

        return leased;
    }

    public async Task CloseAsync(Guid notificationId, string state, int attempts, string? lastError, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (state is not (NotificationStates.Sent or NotificationStates.Cancelled or NotificationStates.Dead))
        {
            throw new ArgumentOutOfRangeException(nameof(state), state, "A notification closes as sent, cancelled or dead.");
        }

        await context.Notifications().UpdateOneAsync(
            Pending(notificationId),
            Update.Set(n => n.State, state)
                .Set(n => n.Attempts, attempts)
                .Set(n => n.LastError, lastError)
                .Set(n => n.ClosedAt, MongoValues.Ticks(at))
                .Set(n => n.LeaseUntil, null),
            cancellationToken: cancellationToken);
    }

    public async Task RescheduleAsync(Guid notificationId, int attempts, string lastError, DateTimeOffset dueAt, CancellationToken cancellationToken) =>
        await context.Notifications().UpdateOneAsync(
            Pending(notificationId),
            Update.Set(n => n.Attempts, attempts)
                .Set(n => n.LastError, lastError)
                .Set(n => n.DueAt, MongoValues.Ticks(dueAt))
                .Set(n => n.LeaseUntil, null),
            cancellationToken: cancellationToken);

    public async Task<Notification?> FindAsync(Guid notificationId, CancellationToken cancellationToken)
    {
        var document = await context.Notifications().Find(Filter.Eq(n => n.Id, notificationId)).FirstOrDefaultAsync(cancellationToken);
        return document is null ? null : ToNotification(document);
    }

    public async Task<IReadOnlyList<Notification>> ListDeadAsync(IReadOnlyCollection<Guid> patientAccountIds, int limit, CancellationToken cancellationToken)
    {
        if (patientAccountIds.Count == 0 || limit == 0)
        {
            return [];
        }

        var documents = await context.Notifications()
            .Find(Filter.Eq(n => n.State, NotificationStates.Dead) & Filter.In(n => n.PatientAccountId, patientAccountIds))
            .Sort(NewestClosedFirst)
            .LimitLikeSqlite(limit)
            .ToListAsync(cancellationToken);
        return [.. documents.Select(ToNotification)];
    }

    public async Task SaveLinkAsync(NotificationLink link, CancellationToken cancellationToken)
    {
        try
        {
            await context.NotificationLinks().InsertOneAsync(
                new NotificationLinkDocument
                {
                    TokenHash = link.TokenHash,
                    NotificationId = link.NotificationId,
                    PatientAccountId = link.PatientAccountId,
                    ConversationId = link.ConversationId,
                    ExpiresAt = MongoValues.Ticks(link.ExpiresAt),
                    UsedAt = link.UsedAt is { } used ? MongoValues.Ticks(used) : null,
                },
                cancellationToken: cancellationToken);
        }
        catch (Exception e) when (MongoErrors.IsDuplicateKey(e))
        {
            // Saved already (a retry of the same notification): the first link stays.
        }
    }

    public async Task<int> PurgeClosedBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        (int)(await context.Notifications().DeleteManyAsync(Filter.Lt(n => n.ClosedAt, MongoValues.Ticks(before)), cancellationToken)).DeletedCount;

    public async Task<int> PurgeExpiredLinksAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        (int)(await context.NotificationLinks().DeleteManyAsync(Links.Lt(l => l.ExpiresAt, MongoValues.Ticks(now)), cancellationToken)).DeletedCount;

    public Task<NotificationLink?> UseLinkAsync(byte[] tokenHash, DateTimeOffset at, CancellationToken cancellationToken) =>
        context.InTransactionAsync<NotificationLink?>(async (session, token) =>
        {
            // In a transaction, not a conditional update and a read after it: a read outside would see the majority's
            // snapshot, which may not hold yet a concurrent use that made the update match nothing. Here a use after
            // this snapshot conflicts with the update below, and the driver runs this again on the new state.
            var ticks = MongoValues.Ticks(at);
            var byHash = Links.Eq(l => l.TokenHash, tokenHash);
            var document = await context.NotificationLinks().Find(session, byHash).FirstOrDefaultAsync(token);
            if (document is null)
            {
                return null;
            }

            if (document.UsedAt is null && document.ExpiresAt > ticks)
            {
                var marked = await context.NotificationLinks().UpdateOneAsync(
                    session,
                    byHash & Links.Eq(l => l.UsedAt, null),
                    Builders<NotificationLinkDocument>.Update.Set(l => l.UsedAt, ticks),
                    cancellationToken: token);
                if (marked.MatchedCount != 1)
                {
                    throw new InvalidOperationException("A notification link was used during its use.");
                }
            }

            return ToLink(document);
        }, cancellationToken);

    private static FilterDefinition<NotificationDocument> Pending(Guid notificationId) =>
        Filter.Eq(n => n.Id, notificationId) & Filter.Eq(n => n.State, NotificationStates.Pending);

    private static NotificationDocument ToDocument(Notification n) => new()
    {
        Id = n.Id,
        PatientAccountId = n.PatientAccountId,
        ConversationId = n.ConversationId,
        CreatedAt = MongoValues.Ticks(n.CreatedAt),
        DueAt = MongoValues.Ticks(n.DueAt),
        State = n.State,
        Attempts = n.Attempts,
        LeaseUntil = n.LeaseUntil is { } lease ? MongoValues.Ticks(lease) : null,
        LastError = n.LastError,
        ClosedAt = n.ClosedAt is { } closed ? MongoValues.Ticks(closed) : null,
    };

    private static Notification ToNotification(NotificationDocument d) =>
        new(d.Id, d.PatientAccountId, d.ConversationId, MongoValues.Time(d.CreatedAt), MongoValues.Time(d.DueAt))
        {
            State = d.State,
            Attempts = d.Attempts,
            LeaseUntil = MongoValues.Time(d.LeaseUntil),
            LastError = d.LastError,
            ClosedAt = MongoValues.Time(d.ClosedAt),
        };

    private static NotificationLink ToLink(NotificationLinkDocument d) =>
        new(d.TokenHash, d.NotificationId, d.PatientAccountId, d.ConversationId, MongoValues.Time(d.ExpiresAt)) { UsedAt = MongoValues.Time(d.UsedAt) };
}
