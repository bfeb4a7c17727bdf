namespace Messaging.Server.Features.Accounts.SecondFactor;

/// <summary>
/// An account's TOTP secret, sealed with the server's personal-data key (owner: the account). A code is accepted once:
/// <see cref="LastUsedStep"/> is the last time step accepted, and only later steps pass.
/// </summary>
internal sealed record TotpSecret(Guid AccountId, byte[] SealedSecret, bool Confirmed, long LastUsedStep, DateTimeOffset CreatedAt);

/// <summary>A WebAuthn credential (passkey) of an account.</summary>
internal sealed record Passkey(byte[] CredentialId, Guid AccountId, byte[] PublicKey, uint SignCount, byte[] UserHandle, DateTimeOffset CreatedAt);

/// <summary>
/// A one-time code of an account for a purpose (the email code for a new device, a password reset). Only its hash
/// is stored; it expires, and wrong guesses are counted so that a 6-digit code cannot be brute-forced.
/// </summary>
internal sealed record OneTimeCode(Guid AccountId, string Purpose, byte[] CodeHash, DateTimeOffset ExpiresAt);

internal interface ISecondFactorStore
{
    /// <summary>Stores the account's TOTP secret, replacing any earlier one (an enrolment started again).</summary>
    Task SaveTotpAsync(TotpSecret secret, CancellationToken cancellationToken);

    Task<TotpSecret?> FindTotpAsync(Guid accountId, CancellationToken cancellationToken);

    /// <summary>
    /// Atomically accepts time step <paramref name="step"/> if it is later than the last accepted one, and marks the
    /// secret confirmed; false otherwise (a replayed code).
    /// </summary>
    Task<bool> TryUseTotpStepAsync(Guid accountId, long step, CancellationToken cancellationToken);

    /// <summary>Replaces all recovery codes of the account with these hashes.</summary>
    Task ReplaceRecoveryCodesAsync(Guid accountId, IReadOnlyList<byte[]> codeHashes, CancellationToken cancellationToken);

    /// <summary>Uses an unused recovery code, atomically; false when no unused code has this hash.</summary>
    Task<bool> TryUseRecoveryCodeAsync(Guid accountId, byte[] codeHash, DateTimeOffset at, CancellationToken cancellationToken);

    Task<int> CountUnusedRecoveryCodesAsync(Guid accountId, CancellationToken cancellationToken);

    Task AddPasskeyAsync(Passkey passkey, CancellationToken cancellationToken);

    Task<IReadOnlyList<Passkey>> ListPasskeysAsync(Guid accountId, CancellationToken cancellationToken);

    Task<Passkey?> FindPasskeyAsync(byte[] credentialId, CancellationToken cancellationToken);

    /// <summary>Sets the signature counter after a successful assertion; false when the credential does not exist.</summary>
    Task<bool> UpdatePasskeyCounterAsync(byte[] credentialId, uint signCount, CancellationToken cancellationToken);

    /// <summary>Stores the code, replacing any pending code of the same account and purpose (and its failed attempts).</summary>
    Task SaveCodeAsync(OneTimeCode code, CancellationToken cancellationToken);

    /// <summary>
    /// Atomically checks a code: when a pending, unexpired code of this account and purpose has this hash, it is
    /// deleted and the answer is true. A wrong hash counts an attempt; after <paramref name="maxAttempts"/> wrong
    /// attempts the code is deleted.
    /// </summary>
    Task<bool> TryUseCodeAsync(Guid accountId, string purpose, byte[] codeHash, DateTimeOffset at, int maxAttempts, CancellationToken cancellationToken);
}
