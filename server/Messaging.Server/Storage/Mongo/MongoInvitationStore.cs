using Messaging.Server.Features.Practices;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

/// <summary>
/// Invitations in <c>invitations</c>. Consuming one is a single conditional update (unused and unexpired): MongoDB
/// applies it to one document atomically, so of two concurrent acceptances the second matches nothing.
/// </summary>
internal sealed class MongoInvitationStore(MongoContext context) : IInvitationStore
{
    private static readonly FilterDefinitionBuilder<InvitationDocument> Filter = Builders<InvitationDocument>.Filter;

    public Task CreateAsync(Invitation invitation, CancellationToken cancellationToken) =>
        context.Invitations().InsertOneAsync(
            new InvitationDocument
            {
                Id = invitation.Id,
                TokenHash = invitation.TokenHash,
                PracticeId = invitation.PracticeId,
                Role = invitation.Role,
                InvitedBy = invitation.InvitedBy,
                CreatedAt = MongoValues.Ticks(invitation.CreatedAt),
                ExpiresAt = MongoValues.Ticks(invitation.ExpiresAt),
                Profile = invitation.Profile,
                Language = invitation.Language,
                UsedAt = invitation.UsedAt is { } usedAt ? MongoValues.Ticks(usedAt) : null,
                UsedBy = invitation.UsedBy,
            },
            cancellationToken: cancellationToken);

    public async Task<Invitation?> FindByTokenHashAsync(byte[] tokenHash, CancellationToken cancellationToken)
    {
        var d = await context.Invitations().Find(Filter.Eq(i => i.TokenHash, tokenHash)).FirstOrDefaultAsync(cancellationToken);
        return d is null
            ? null
            : new Invitation(d.Id, d.TokenHash, d.PracticeId, d.Role, d.InvitedBy, MongoValues.Time(d.CreatedAt), MongoValues.Time(d.ExpiresAt))
            {
                Profile = d.Profile,
                Language = d.Language,
                UsedAt = MongoValues.Time(d.UsedAt),
                UsedBy = d.UsedBy,
            };
    }

    public async Task<bool> TryConsumeAsync(Guid invitationId, Guid accountId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var ticks = MongoValues.Ticks(at);
        var result = await context.Invitations().UpdateOneAsync(
            Filter.Eq(i => i.Id, invitationId) & Filter.Eq(i => i.UsedAt, null) & Filter.Gt(i => i.ExpiresAt, ticks),
            Builders<InvitationDocument>.Update.Set(i => i.UsedAt, ticks).Set(i => i.UsedBy, accountId),
            cancellationToken: cancellationToken);
        return result.MatchedCount == 1;
    }

    public async Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        (int)(await context.Invitations().DeleteManyAsync(Filter.Lt(i => i.ExpiresAt, MongoValues.Ticks(now)), cancellationToken)).DeletedCount;
}
