using Messaging.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Features.Notifications;

/// <summary>Deletes notification links once expired: refused either way, and each names a patient and a conversation.</summary>
internal sealed class ExpiredLinkSweep(INotificationStore store) : IRecordSweep
{
    public string Records => "expired notification links";

    public Task<int> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken) => store.PurgeExpiredLinksAsync(now, cancellationToken);
}

/// <summary>
/// Deletes closed notifications (sent, cancelled, dead) once as old as a copy may wait
/// (<c>Messaging:Delivery:Retention</c>): by then what they announced is gone too. Until then practice admins see the
/// dead ones. Each names a patient and a conversation.
/// </summary>
internal sealed class ClosedNotificationSweep(INotificationStore store, IOptions<MessagingOptions> options) : IRecordSweep
{
    public string Records => "closed notifications";

    public Task<int> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        store.PurgeClosedBeforeAsync(now - options.Value.Delivery.Retention, cancellationToken);
}
