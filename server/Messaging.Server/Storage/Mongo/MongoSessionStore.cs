using Messaging.Server.Features.Accounts.Sessions;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

/// <summary>
/// Session families in <c>session_families</c>, refresh tokens (by hash) in <c>refresh_tokens</c>. A rotation is one
/// multi-document transaction: the presented token goes from unused to used by a conditional update, the next token
/// is inserted and the family's last use updated, all or nothing. Each path writes the documents its decision read
/// (the token, the family), so a concurrent rotation or revocation makes it conflict, and the driver runs it again on
/// the new state: of two rotations of one token, the second sees it used and revokes the family.
/// </summary>
internal sealed class MongoSessionStore(MongoContext context) : ISessionStore
{
    private static readonly FilterDefinitionBuilder<SessionFamilyDocument> Families = Builders<SessionFamilyDocument>.Filter;
    private static readonly FilterDefinitionBuilder<RefreshTokenDocument> Tokens = Builders<RefreshTokenDocument>.Filter;

    private static readonly FindOneAndUpdateOptions<SessionFamilyDocument> ReturnAfter = new() { ReturnDocument = ReturnDocument.After };

    public async Task CreateAsync(SessionFamily family, byte[] firstTokenHash, CancellationToken cancellationToken)
    {
        // The family first: should the token's insert not happen, a family with no token is never usable.
        await context.SessionFamilies().InsertOneAsync(
            new SessionFamilyDocument
            {
                Id = family.Id,
                AccountId = family.AccountId,
                DeviceId = family.DeviceId,
                CreatedAt = MongoValues.Ticks(family.CreatedAt),
                LastUsedAt = MongoValues.Ticks(family.LastUsedAt),
                RevokedAt = family.RevokedAt is { } revoked ? MongoValues.Ticks(revoked) : null,
            },
            cancellationToken: cancellationToken);
        await context.RefreshTokens().InsertOneAsync(
            new RefreshTokenDocument { TokenHash = firstTokenHash, FamilyId = family.Id, IssuedAt = MongoValues.Ticks(family.CreatedAt) },
            cancellationToken: cancellationToken);
    }

    public Task<RotationOutcome> RotateAsync(byte[] presentedTokenHash, byte[] nextTokenHash, DateTimeOffset at, CancellationToken cancellationToken) =>
        context.InTransactionAsync<RotationOutcome>(async (session, token) =>
        {
            var ticks = MongoValues.Ticks(at);
            var presented = await context.RefreshTokens().Find(session, Tokens.Eq(t => t.TokenHash, presentedTokenHash)).FirstOrDefaultAsync(token);
            var family = presented is null
                ? null
                : await context.SessionFamilies().Find(session, Families.Eq(f => f.Id, presented.FamilyId)).FirstOrDefaultAsync(token);
            if (presented is null || family is null)
            {
                return new RotationOutcome.Unknown();
            }

            if (family.RevokedAt is not null)
            {
                return new RotationOutcome.Revoked(ToFamily(family));
            }

            var live = Families.Eq(f => f.Id, family.Id) & Families.Eq(f => f.RevokedAt, null);
            if (presented.UsedAt is not null)
            {
                var revoked = await context.SessionFamilies().FindOneAndUpdateAsync(
                    session, live, Builders<SessionFamilyDocument>.Update.Set(f => f.RevokedAt, ticks), ReturnAfter, token);
                return new RotationOutcome.Reused(ToFamily(revoked ?? throw Inconsistent()));
            }

            var marked = await context.RefreshTokens().UpdateOneAsync(
                session,
                Tokens.Eq(t => t.TokenHash, presentedTokenHash) & Tokens.Eq(t => t.UsedAt, null),
                Builders<RefreshTokenDocument>.Update.Set(t => t.UsedAt, ticks),
                cancellationToken: token);
            if (marked.MatchedCount != 1)
            {
                throw Inconsistent();
            }

            await context.RefreshTokens().InsertOneAsync(
                session, new RefreshTokenDocument { TokenHash = nextTokenHash, FamilyId = family.Id, IssuedAt = ticks }, cancellationToken: token);
            var rotated = await context.SessionFamilies().FindOneAndUpdateAsync(
                session, live, Builders<SessionFamilyDocument>.Update.Set(f => f.LastUsedAt, ticks), ReturnAfter, token);
            return new RotationOutcome.Rotated(ToFamily(rotated ?? throw Inconsistent()));
        }, cancellationToken);

    public async Task<SessionFamily?> FindAsync(Guid familyId, CancellationToken cancellationToken)
    {
        var document = await context.SessionFamilies().Find(Families.Eq(f => f.Id, familyId)).FirstOrDefaultAsync(cancellationToken);
        return document is null ? null : ToFamily(document);
    }

    public async Task<bool> RevokeAsync(Guid familyId, DateTimeOffset at, CancellationToken cancellationToken) =>
        await RevokeWhereAsync(Families.Eq(f => f.Id, familyId), at, cancellationToken) == 1;

    public Task<int> RevokeForDeviceAsync(Guid deviceId, DateTimeOffset at, CancellationToken cancellationToken) =>
        RevokeWhereAsync(Families.Eq(f => f.DeviceId, deviceId), at, cancellationToken);

    public Task<int> RevokeForAccountAsync(Guid accountId, DateTimeOffset at, CancellationToken cancellationToken) =>
        RevokeWhereAsync(Families.Eq(f => f.AccountId, accountId), at, cancellationToken);

    private async Task<int> RevokeWhereAsync(FilterDefinition<SessionFamilyDocument> filter, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var result = await context.SessionFamilies().UpdateManyAsync(
            filter & Families.Eq(f => f.RevokedAt, null),
            Builders<SessionFamilyDocument>.Update.Set(f => f.RevokedAt, MongoValues.Ticks(at)),
            cancellationToken: cancellationToken);
        return checked((int)result.ModifiedCount);
    }

    /// <summary>
    /// A conditional write inside the transaction matched nothing although the snapshot said it would: a concurrent
    /// change conflicts with the transaction first, so this is not expected; throwing aborts the transaction.
    /// </summary>
    private static InvalidOperationException Inconsistent() => new("A session family changed during its rotation.");

    public async Task<int> PurgeCreatedBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var ticks = MongoValues.Ticks(before);
        await context.RefreshTokens().DeleteManyAsync(Tokens.Lt(t => t.IssuedAt, ticks), cancellationToken);
        return (int)(await context.SessionFamilies().DeleteManyAsync(Families.Lt(f => f.CreatedAt, ticks), cancellationToken)).DeletedCount;
    }

    private static SessionFamily ToFamily(SessionFamilyDocument d) =>
        new(d.Id, d.AccountId, d.DeviceId, MongoValues.Time(d.CreatedAt), MongoValues.Time(d.LastUsedAt), MongoValues.Time(d.RevokedAt));
}
