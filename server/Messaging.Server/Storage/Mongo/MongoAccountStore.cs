using Messaging.Server.Features.Accounts;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

/// <summary>
/// One document per account (<see cref="AccountDocument"/>), found by id or by its login or email blind index, both
/// unique. Failed sign-ins are in the same document (<c>MongoAccountStore.SignIn.cs</c>).
/// </summary>
internal sealed partial class MongoAccountStore(MongoContext context) : IAccountStore
{
    private static readonly FilterDefinitionBuilder<AccountDocument> Filter = Builders<AccountDocument>.Filter;
    private static readonly UpdateDefinitionBuilder<AccountDocument> Update = Builders<AccountDocument>.Update;

    public async Task<bool> TryCreateAsync(Account account, CancellationToken cancellationToken)
    {
        try
        {
            await context.Accounts.InsertOneAsync(ToDocument(account), cancellationToken: cancellationToken);
            return true;
        }
        catch (Exception e) when (MongoErrors.IsDuplicateKey(e))
        {
            // The unique login or email index, or (as on SQLite) an account id already taken.
            return false;
        }
    }

    public Task<Account?> FindAsync(Guid accountId, CancellationToken cancellationToken) =>
        FindOneAsync(Filter.Eq(a => a.Id, accountId), cancellationToken);

    public Task<Account?> FindByLoginIndexAsync(byte[] loginIndex, CancellationToken cancellationToken) =>
        FindOneAsync(Filter.Eq(a => a.LoginIndex, loginIndex), cancellationToken);

    public Task<Account?> FindByEmailIndexAsync(byte[] emailIndex, CancellationToken cancellationToken) =>
        FindOneAsync(Filter.Eq(a => a.EmailIndex, emailIndex), cancellationToken);

    public async Task<IReadOnlyList<Account>> FindManyAsync(IReadOnlyCollection<Guid> accountIds, CancellationToken cancellationToken)
    {
        if (accountIds.Count == 0)
        {
            return [];
        }

        var documents = await context.Accounts
            .Find(Filter.In(a => a.Id, accountIds.Distinct()))
            .ToListAsync(cancellationToken);
        return [.. documents.Select(ToAccount)];
    }

    public async Task<bool> UpdatePasswordAsync(Guid accountId, string passwordHash, CancellationToken cancellationToken)
    {
        var result = await context.Accounts.UpdateOneAsync(
            Filter.Eq(a => a.Id, accountId), Update.Set(a => a.PasswordHash, passwordHash), cancellationToken: cancellationToken);
        // Matched, not modified: setting the same hash again still finds the account.
        return result.MatchedCount == 1;
    }

    public Task SetConsentAsync(Guid accountId, Consent consent, CancellationToken cancellationToken) =>
        context.Accounts.UpdateOneAsync(
            Filter.Eq(a => a.Id, accountId), Update.Set(a => a.Consent, ToDocument(consent)), cancellationToken: cancellationToken);

    private async Task<Account?> FindOneAsync(FilterDefinition<AccountDocument> filter, CancellationToken cancellationToken)
    {
        var document = await context.Accounts.Find(filter).FirstOrDefaultAsync(cancellationToken);
        return document is null ? null : ToAccount(document);
    }

    private static AccountDocument ToDocument(Account account) => new()
    {
        Id = account.Id,
        LoginIndex = account.LoginIndex,
        PasswordHash = account.PasswordHash,
        Kind = account.Kind,
        CreatedAt = MongoValues.Ticks(account.CreatedAt),
        EmailIndex = account.EmailIndex,
        Profile = account.Profile,
        Language = account.Language,
        Consent = account.Consent is { } consent ? ToDocument(consent) : null,
    };

    private static ConsentDocument ToDocument(Consent consent) => new()
    {
        TermsVersion = consent.TermsVersion,
        GivenAt = MongoValues.Ticks(consent.GivenAt),
        WithdrawnAt = consent.WithdrawnAt is { } withdrawn ? MongoValues.Ticks(withdrawn) : null,
    };

    private static Account ToAccount(AccountDocument d) =>
        new(d.Id, d.LoginIndex, d.PasswordHash, d.Kind, MongoValues.Time(d.CreatedAt))
        {
            EmailIndex = d.EmailIndex,
            Profile = d.Profile,
            Language = d.Language,
            Consent = d.Consent is { } c ? new Consent(c.TermsVersion, MongoValues.Time(c.GivenAt), MongoValues.Time(c.WithdrawnAt)) : null,
        };
}
