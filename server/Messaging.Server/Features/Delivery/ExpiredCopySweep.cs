using Messaging.Server.Hosting;

namespace Messaging.Server.Features.Delivery;

/// <summary>
/// Deletes copies (and idempotency records) whose retention ended, <c>Messaging:Delivery:Retention</c> after they were
/// accepted. Reads already skip them.
/// </summary>
internal sealed class ExpiredCopySweep(IMessageStore messages) : IRecordSweep
{
    public string Records => "expired copies";

    public Task<int> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken) => messages.PurgeExpiredAsync(now, cancellationToken);
}
