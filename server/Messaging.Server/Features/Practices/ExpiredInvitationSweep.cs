using Messaging.Server.Hosting;

namespace Messaging.Server.Features.Practices;

/// <summary>
/// Deletes invitations once expired, used or not: an expired one is refused whether kept or not, and each holds the
/// invitee's sealed name, email and phone, which someone who never joined did not agree to leave with us.
/// </summary>
internal sealed class ExpiredInvitationSweep(IInvitationStore invitations) : IRecordSweep
{
    public string Records => "expired invitations";

    public Task<int> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken) => invitations.PurgeExpiredAsync(now, cancellationToken);
}
