namespace Messaging.Server.Features.Accounts;

/// <summary>
/// An account as stored. The login name itself is never stored: only its keyed hash (a blind index), so the
/// database holds no name or email address in clear.
/// </summary>
internal sealed record Account(Guid Id, byte[] LoginIndex, string PasswordHash, string Role, DateTimeOffset CreatedAt);
