using Messaging.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Features.Accounts.Sessions;

/// <summary>
/// Deletes the session families older than the absolute session lifetime, with their refresh tokens. No token of
/// theirs can be used any more (a refresh past that age is refused), and each rotation keeps its used token for
/// replay detection, so without this sweep a device in use all day left up to about 300 rows a day behind it, for
/// ever: who signed in, from which device, when. A token of a deleted family is refused as unknown, with the same
/// <c>session-ended</c>.
/// </summary>
internal sealed class EndedSessionSweep(ISessionStore sessions, IOptions<MessagingOptions> options) : IRecordSweep
{
    public string Records => "ended session families";

    public Task<int> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        sessions.PurgeCreatedBeforeAsync(now - options.Value.Tokens.SessionAbsoluteTimeout, cancellationToken);
}
