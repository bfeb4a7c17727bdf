namespace Messaging.Server.Features.Accounts;

internal interface IAccountStore
{
    /// <summary>Creates the account; false when another account has the same login index.</summary>
    Task<bool> TryCreateAsync(Account account, CancellationToken cancellationToken);

    Task<Account?> FindAsync(Guid accountId, CancellationToken cancellationToken);

    Task<Account?> FindByLoginIndexAsync(byte[] loginIndex, CancellationToken cancellationToken);

    Task<Account?> FindByEmailIndexAsync(byte[] emailIndex, CancellationToken cancellationToken);

    /// <summary>The accounts among <paramref name="accountIds"/> that exist.</summary>
    Task<IReadOnlyList<Account>> FindManyAsync(IReadOnlyCollection<Guid> accountIds, CancellationToken cancellationToken);

    /// <summary>False when the account does not exist.</summary>
    Task<bool> UpdatePasswordAsync(Guid accountId, string passwordHash, CancellationToken cancellationToken);

    /// <summary>Records (or replaces) the account's consent, e.g. given, or withdrawn with its time.</summary>
    Task SetConsentAsync(Guid accountId, Consent consent, CancellationToken cancellationToken);

    /// <summary>The account's failed sign-ins; <see cref="SignInState.None"/> when there were none.</summary>
    Task<SignInState> GetSignInStateAsync(Guid accountId, CancellationToken cancellationToken);

    /// <summary>Atomically counts one more failure (consecutive and unseen) at <paramref name="at"/>; returns the new state.</summary>
    Task<SignInState> RecordSignInFailureAsync(Guid accountId, DateTimeOffset at, CancellationToken cancellationToken);

    Task SetLockedUntilAsync(Guid accountId, DateTimeOffset? lockedUntil, CancellationToken cancellationToken);

    /// <summary>Resets failures and lock after a successful sign-in; returns the state as it was before.</summary>
    Task<SignInState> RecordSignInSuccessAsync(Guid accountId, CancellationToken cancellationToken);
}
