using Messaging.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Features.Audit;

/// <summary>Deletes audit events older than <c>Messaging:Audit:Retention</c> (a year by default).</summary>
internal sealed class AuditRetentionSweep(IAuditLog log, IOptions<MessagingOptions> options) : IRecordSweep
{
    public string Records => "audit events";

    public Task<int> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        log.PurgeBeforeAsync(now - options.Value.Audit.Retention, cancellationToken);
}
