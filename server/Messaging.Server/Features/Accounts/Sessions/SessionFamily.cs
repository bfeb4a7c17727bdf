namespace Messaging.Server.Features.Accounts.Sessions;

/// <summary>
/// One signed-in device: a family of refresh tokens, each used once to get the next. Only token hashes are stored.
/// The family ends when revoked (log-out, device revoked, a used token presented again) or when it expires
/// (inactivity since <see cref="LastUsedAt"/>, or the absolute lifetime since <see cref="CreatedAt"/>).
/// </summary>
internal sealed record SessionFamily(Guid Id, Guid AccountId, Guid DeviceId, DateTimeOffset CreatedAt, DateTimeOffset LastUsedAt, DateTimeOffset? RevokedAt)
{
    public bool IsRevoked => RevokedAt is not null;
}

/// <summary>What presenting a refresh token did.</summary>
internal abstract record RotationOutcome
{
    /// <summary>The token was current: it is now used, and the next one was stored in the same family.</summary>
    public sealed record Rotated(SessionFamily Family) : RotationOutcome;

    /// <summary>The token had been used before: someone replayed it, so the whole family is now revoked.</summary>
    public sealed record Reused(SessionFamily Family) : RotationOutcome;

    /// <summary>The family was revoked already; nothing changed.</summary>
    public sealed record Revoked(SessionFamily Family) : RotationOutcome;

    /// <summary>No such token.</summary>
    public sealed record Unknown : RotationOutcome;
}

internal interface ISessionStore
{
    /// <summary>Stores a new family with its first refresh token.</summary>
    Task CreateAsync(SessionFamily family, byte[] firstTokenHash, CancellationToken cancellationToken);

    /// <summary>
    /// Atomically: a current token becomes used and <paramref name="nextTokenHash"/> joins its family (whose
    /// LastUsedAt becomes <paramref name="at"/>); a used token revokes its family at <paramref name="at"/>.
    /// </summary>
    Task<RotationOutcome> RotateAsync(byte[] presentedTokenHash, byte[] nextTokenHash, DateTimeOffset at, CancellationToken cancellationToken);

    Task<SessionFamily?> FindAsync(Guid familyId, CancellationToken cancellationToken);

    /// <summary>Revokes the family if it is not revoked yet; false otherwise.</summary>
    Task<bool> RevokeAsync(Guid familyId, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Revokes every live family of the device; returns how many.</summary>
    Task<int> RevokeForDeviceAsync(Guid deviceId, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Revokes every live family of the account; returns how many.</summary>
    Task<int> RevokeForAccountAsync(Guid accountId, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the families created before <paramref name="before"/> and the refresh tokens issued before it (a token
    /// is never older than its family); returns the families deleted. Only families past the absolute session lifetime
    /// are named, which no token can use any more.
    /// </summary>
    Task<int> PurgeCreatedBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken);
}
