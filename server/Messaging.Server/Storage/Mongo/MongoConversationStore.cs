using Messaging.Server.Features.Conversations;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

/// <summary>
/// One document per conversation: its members in the order given, and the counters that
/// <see cref="MongoMessageStore"/> advances for each accepted message.
/// </summary>
internal sealed class MongoConversationStore(MongoContext context) : IConversationStore
{
    private static readonly SortDefinition<ConversationDocument> Order =
        Builders<ConversationDocument>.Sort.Ascending(c => c.CreatedAt).Ascending(c => c.Id);

    public Task CreateAsync(Conversation conversation, CancellationToken cancellationToken) =>
        context.Conversations.InsertOneAsync(
            new ConversationDocument
            {
                Id = conversation.Id,
                PracticeId = conversation.PracticeId,
                CreatedBy = conversation.CreatedBy,
                Members = [.. conversation.Members],
                CreatedAt = MongoValues.Ticks(conversation.CreatedAt),
                LastSequence = 0,
                LastEnqueuedAt = 0,
            },
            cancellationToken: cancellationToken);

    public async Task<Conversation?> FindAsync(Guid conversationId, CancellationToken cancellationToken)
    {
        var document = await context.Conversations.Find(c => c.Id == conversationId).FirstOrDefaultAsync(cancellationToken);
        return document is null ? null : ToConversation(document);
    }

    public async Task<IReadOnlyList<Conversation>> ListForAccountAsync(Guid accountId, CancellationToken cancellationToken)
    {
        var documents = await context.Conversations
            .Find(Builders<ConversationDocument>.Filter.AnyEq(c => c.Members, accountId))
            .Sort(Order)
            .ToListAsync(cancellationToken);
        return [.. documents.Select(ToConversation)];
    }

    public async Task<bool> SharesConversationAsync(Guid accountId, Guid otherAccountId, CancellationToken cancellationToken) =>
        accountId != otherAccountId
        && await context.Conversations
            .Find(Builders<ConversationDocument>.Filter.All(c => c.Members, [accountId, otherAccountId]))
            .Limit(1)
            .AnyAsync(cancellationToken);

    private static Conversation ToConversation(ConversationDocument d) =>
        new(d.Id, d.CreatedBy, [.. d.Members], MongoValues.Time(d.CreatedAt)) { PracticeId = d.PracticeId };
}
