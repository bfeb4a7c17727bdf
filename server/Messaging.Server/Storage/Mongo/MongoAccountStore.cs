using Messaging.Server.Features.Accounts;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

internal sealed class MongoAccountStore(MongoContext context) : IAccountStore
{
    public async Task<bool> TryCreateAsync(Account account, CancellationToken cancellationToken)
    {
        try
        {
            await context.Accounts.InsertOneAsync(ToDocument(account), cancellationToken: cancellationToken);
            return true;
        }
        catch (Exception e) when (MongoErrors.IsDuplicateKey(e))
        {
            // The unique login index, or (as on SQLite) an account id already taken.
            return false;
        }
    }

    public async Task<Account?> FindAsync(Guid accountId, CancellationToken cancellationToken)
    {
        var document = await context.Accounts.Find(a => a.Id == accountId).FirstOrDefaultAsync(cancellationToken);
        return document is null ? null : ToAccount(document);
    }

    public async Task<Account?> FindByLoginIndexAsync(byte[] loginIndex, CancellationToken cancellationToken)
    {
        var document = await context.Accounts
            .Find(Builders<AccountDocument>.Filter.Eq(a => a.LoginIndex, loginIndex))
            .FirstOrDefaultAsync(cancellationToken);
        return document is null ? null : ToAccount(document);
    }

    public async Task<IReadOnlyList<Account>> FindManyAsync(IReadOnlyCollection<Guid> accountIds, CancellationToken cancellationToken)
    {
        if (accountIds.Count == 0)
        {
            return [];
        }

        var documents = await context.Accounts
            .Find(Builders<AccountDocument>.Filter.In(a => a.Id, accountIds.Distinct()))
            .ToListAsync(cancellationToken);
        return [.. documents.Select(ToAccount)];
    }

    private static AccountDocument ToDocument(Account account) => new()
    {
        Id = account.Id,
        LoginIndex = account.LoginIndex,
        PasswordHash = account.PasswordHash,
        Role = account.Role,
        CreatedAt = MongoValues.Ticks(account.CreatedAt),
    };

    private static Account ToAccount(AccountDocument d) =>
        new(d.Id, d.LoginIndex, d.PasswordHash, d.Role, MongoValues.Time(d.CreatedAt));
}
