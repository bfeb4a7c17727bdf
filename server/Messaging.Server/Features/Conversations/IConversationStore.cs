namespace Messaging.Server.Features.Conversations;

internal interface IConversationStore
{
    Task CreateAsync(Conversation conversation, CancellationToken cancellationToken);

    Task<Conversation?> FindAsync(Guid conversationId, CancellationToken cancellationToken);

    Task<IReadOnlyList<Conversation>> ListForAccountAsync(Guid accountId, CancellationToken cancellationToken);
}
