using Messaging.Server.Features.Practices;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

/// <summary>
/// Practices in <c>practices</c>; one document of <c>memberships</c> per role of an account in a practice, unique on
/// (practice, account, role). Memberships are listed oldest first, in the order SQLite lists them.
/// </summary>
internal sealed class MongoPracticeStore(MongoContext context) : IPracticeStore
{
    private static readonly FilterDefinitionBuilder<MembershipDocument> Filter = Builders<MembershipDocument>.Filter;

    private static readonly SortDefinition<MembershipDocument> Order = Builders<MembershipDocument>.Sort
        .Ascending(m => m.Since).Ascending(m => m.PracticeId).Ascending(m => m.AccountId).Ascending(m => m.Role);

    public Task CreateAsync(Practice practice, CancellationToken cancellationToken) =>
        context.Practices().InsertOneAsync(
            new PracticeDocument { Id = practice.Id, Name = practice.Name, CreatedAt = MongoValues.Ticks(practice.CreatedAt) },
            cancellationToken: cancellationToken);

    public async Task<Practice?> FindAsync(Guid practiceId, CancellationToken cancellationToken)
    {
        var document = await context.Practices().Find(p => p.Id == practiceId).FirstOrDefaultAsync(cancellationToken);
        return document is null ? null : new Practice(document.Id, document.Name, MongoValues.Time(document.CreatedAt));
    }

    public async Task<bool> AddMembershipAsync(Membership membership, CancellationToken cancellationToken)
    {
        try
        {
            await context.Memberships().InsertOneAsync(
                new MembershipDocument
                {
                    PracticeId = membership.PracticeId,
                    AccountId = membership.AccountId,
                    Role = membership.Role,
                    Since = MongoValues.Ticks(membership.Since),
                },
                cancellationToken: cancellationToken);
            return true;
        }
        catch (Exception e) when (MongoErrors.IsDuplicateKey(e))
        {
            // The account holds that role in that practice already.
            return false;
        }
    }

    public async Task<int> RemoveMembershipsAsync(Guid practiceId, Guid accountId, CancellationToken cancellationToken)
    {
        var result = await context.Memberships().DeleteManyAsync(
            Filter.Eq(m => m.PracticeId, practiceId) & Filter.Eq(m => m.AccountId, accountId), cancellationToken);
        return checked((int)result.DeletedCount);
    }

    public Task<IReadOnlyList<Membership>> ListForAccountsAsync(IReadOnlyCollection<Guid> accountIds, CancellationToken cancellationToken) =>
        accountIds.Count == 0
            ? Task.FromResult<IReadOnlyList<Membership>>([])
            : ListAsync(Filter.In(m => m.AccountId, accountIds.Distinct()), cancellationToken);

    public Task<IReadOnlyList<Membership>> ListForPracticeAsync(Guid practiceId, CancellationToken cancellationToken) =>
        ListAsync(Filter.Eq(m => m.PracticeId, practiceId), cancellationToken);

    private async Task<IReadOnlyList<Membership>> ListAsync(FilterDefinition<MembershipDocument> filter, CancellationToken cancellationToken)
    {
        var documents = await context.Memberships().Find(filter).Sort(Order).ToListAsync(cancellationToken);
        return [.. documents.Select(d => new Membership(d.PracticeId, d.AccountId, d.Role, MongoValues.Time(d.Since)))];
    }
}
