using Messaging.Server.Features.Audit;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

internal sealed class MongoAuditLog(MongoContext context) : IAuditLog
{
    private static readonly SortDefinition<AuditEventDocument> NewestFirst =
        Builders<AuditEventDocument>.Sort.Descending(e => e.At).Descending(e => e.Id);

    public Task AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken) =>
        context.AuditEvents.InsertOneAsync(
            new AuditEventDocument
            {
                Id = auditEvent.Id,
                At = MongoValues.Ticks(auditEvent.At),
                Action = auditEvent.Action,
                Outcome = auditEvent.Outcome,
                AccountId = auditEvent.AccountId,
                DeviceId = auditEvent.DeviceId,
                Target = auditEvent.Target,
                Reason = auditEvent.Reason,
                Occurrences = auditEvent.Occurrences,
            },
            cancellationToken: cancellationToken);

    public async Task<int> PurgeBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        (int)(await context.AuditEvents.DeleteManyAsync(
            Builders<AuditEventDocument>.Filter.Lt(e => e.At, MongoValues.Ticks(before)), cancellationToken)).DeletedCount;

    public async Task<IReadOnlyList<AuditEvent>> ListRecentAsync(int limit, CancellationToken cancellationToken)
    {
        if (limit == 0)
        {
            return [];
        }

        var documents = await context.AuditEvents.Find(FilterDefinition<AuditEventDocument>.Empty)
            .Sort(NewestFirst)
            .LimitLikeSqlite(limit)
            .ToListAsync(cancellationToken);
        return [.. documents.Select(d => new AuditEvent(
            d.Id, MongoValues.Time(d.At), d.Action, d.Outcome, d.AccountId, d.DeviceId, d.Target, d.Reason, d.Occurrences))];
    }
}
