namespace Messaging.Server.Features.Accounts;

internal interface IAccountStore
{
    /// <summary>Creates the account; false when another account has the same login index.</summary>
    Task<bool> TryCreateAsync(Account account, CancellationToken cancellationToken);

    Task<Account?> FindAsync(Guid accountId, CancellationToken cancellationToken);

    Task<Account?> FindByLoginIndexAsync(byte[] loginIndex, CancellationToken cancellationToken);

    /// <summary>The accounts among <paramref name="accountIds"/> that exist.</summary>
    Task<IReadOnlyList<Account>> FindManyAsync(IReadOnlyCollection<Guid> accountIds, CancellationToken cancellationToken);
}
