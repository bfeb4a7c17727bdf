using Messaging.Server.Features.Accounts.SecondFactor;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

/// <summary>
/// One-time codes in <c>one_time_codes</c>, one per account and purpose. A check is a sequence of single-document
/// conditional writes, each atomic, with no read before them: the right code, live, is deleted (one caller wins); else
/// a wrong guess at a live code is counted ($inc), and the code deleted once out of attempts; else a dead code
/// (expired, or out of attempts) is deleted.
/// </summary>
internal sealed partial class MongoSecondFactorStore
{
    private static readonly FilterDefinitionBuilder<OneTimeCodeDocument> Codes = Builders<OneTimeCodeDocument>.Filter;

    public Task SaveCodeAsync(OneTimeCode code, CancellationToken cancellationToken) =>
        MongoErrors.UpsertAsync(() => context.OneTimeCodes().UpdateOneAsync(
            CodeKey(code.AccountId, code.Purpose),
            Builders<OneTimeCodeDocument>.Update
                .Set(c => c.CodeHash, code.CodeHash)
                .Set(c => c.ExpiresAt, MongoValues.Ticks(code.ExpiresAt))
                .Set(c => c.FailedAttempts, 0),
            new UpdateOptions { IsUpsert = true },
            cancellationToken));

    public async Task<bool> TryUseCodeAsync(
        Guid accountId, string purpose, byte[] codeHash, DateTimeOffset at, int maxAttempts, CancellationToken cancellationToken)
    {
        var codes = context.OneTimeCodes();
        var key = CodeKey(accountId, purpose);
        var live = key & Codes.Gt(c => c.ExpiresAt, MongoValues.Ticks(at)) & Codes.Lt(c => c.FailedAttempts, maxAttempts);

        var used = await codes.DeleteOneAsync(live & Codes.Eq(c => c.CodeHash, codeHash), cancellationToken);
        if (used.DeletedCount == 1)
        {
            return true;
        }

        var counted = await codes.FindOneAndUpdateAsync(
            live & Codes.Ne(c => c.CodeHash, codeHash),
            Builders<OneTimeCodeDocument>.Update.Inc(c => c.FailedAttempts, 1),
            new FindOneAndUpdateOptions<OneTimeCodeDocument> { ReturnDocument = ReturnDocument.After },
            cancellationToken);
        var dead = counted is null
            ? key & (Codes.Lte(c => c.ExpiresAt, MongoValues.Ticks(at)) | Codes.Gte(c => c.FailedAttempts, maxAttempts))
            : Codes.Eq(c => c.Id, counted.Id) & Codes.Gte(c => c.FailedAttempts, maxAttempts);
        if (counted is null || counted.FailedAttempts >= maxAttempts)
        {
            await codes.DeleteOneAsync(dead, cancellationToken);
        }

        return false;
    }

    private static FilterDefinition<OneTimeCodeDocument> CodeKey(Guid accountId, string purpose) =>
        Codes.Eq(c => c.AccountId, accountId) & Codes.Eq(c => c.Purpose, purpose);
}
