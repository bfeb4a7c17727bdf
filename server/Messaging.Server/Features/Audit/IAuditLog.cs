namespace Messaging.Server.Features.Audit;

internal interface IAuditLog
{
    Task AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken);

    /// <summary>Deletes the events recorded before <paramref name="before"/>; returns how many.</summary>
    Task<int> PurgeBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken);

    /// <summary>The newest events first.</summary>
    Task<IReadOnlyList<AuditEvent>> ListRecentAsync(int limit, CancellationToken cancellationToken);
}
