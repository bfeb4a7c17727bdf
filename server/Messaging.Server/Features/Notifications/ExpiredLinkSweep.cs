using Messaging.Server.Hosting;

namespace Messaging.Server.Features.Notifications;

/// <summary>Deletes notification links once expired: refused either way, and each names a patient and a conversation.</summary>
internal sealed class ExpiredLinkSweep(INotificationStore store) : IRecordSweep
{
    public string Records => "expired notification links";

    public Task<int> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken) => store.PurgeExpiredLinksAsync(now, cancellationToken);
}
