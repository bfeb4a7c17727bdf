using Messaging.Server.Features.Accounts;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

/// <summary>
/// Failed sign-ins, in the account's document. Each change is one atomic FindOneAndUpdate ($inc for a failure), so
/// concurrent failures are all counted. An unknown account has no state: reads answer <see cref="SignInState.None"/>
/// and writes do nothing.
/// </summary>
internal sealed partial class MongoAccountStore
{
    public async Task<SignInState> GetSignInStateAsync(Guid accountId, CancellationToken cancellationToken)
    {
        var document = await context.Accounts.Find(Filter.Eq(a => a.Id, accountId)).FirstOrDefaultAsync(cancellationToken);
        return ToSignInState(document);
    }

    public async Task<SignInState> RecordSignInFailureAsync(Guid accountId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var after = await context.Accounts.FindOneAndUpdateAsync(
            Filter.Eq(a => a.Id, accountId),
            Update.Inc(a => a.FailedSignIns, 1).Inc(a => a.UnseenFailedSignIns, 1).Set(a => a.LastFailedSignInAt, MongoValues.Ticks(at)),
            new FindOneAndUpdateOptions<AccountDocument> { ReturnDocument = ReturnDocument.After },
            cancellationToken);
        return ToSignInState(after);
    }

    public Task SetLockedUntilAsync(Guid accountId, DateTimeOffset? lockedUntil, CancellationToken cancellationToken) =>
        context.Accounts.UpdateOneAsync(
            Filter.Eq(a => a.Id, accountId),
            Update.Set(a => a.LockedUntil, lockedUntil is { } until ? MongoValues.Ticks(until) : null),
            cancellationToken: cancellationToken);

    public async Task<SignInState> RecordSignInSuccessAsync(Guid accountId, CancellationToken cancellationToken)
    {
        // One atomic step: the state before comes back, and no failure can slip in between the read and the reset.
        var before = await context.Accounts.FindOneAndUpdateAsync(
            Filter.Eq(a => a.Id, accountId),
            Update.Set(a => a.FailedSignIns, 0)
                .Set(a => a.LockedUntil, null)
                .Set(a => a.UnseenFailedSignIns, 0)
                .Set(a => a.LastFailedSignInAt, null),
            new FindOneAndUpdateOptions<AccountDocument> { ReturnDocument = ReturnDocument.Before },
            cancellationToken);
        return ToSignInState(before);
    }

    private static SignInState ToSignInState(AccountDocument? d) =>
        d is null
            ? SignInState.None
            : new SignInState(d.FailedSignIns, MongoValues.Time(d.LockedUntil), d.UnseenFailedSignIns, MongoValues.Time(d.LastFailedSignInAt));
}
