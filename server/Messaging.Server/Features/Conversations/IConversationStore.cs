namespace Messaging.Server.Features.Conversations;

internal interface IConversationStore
{
    Task CreateAsync(Conversation conversation, CancellationToken cancellationToken);

    Task<Conversation?> FindAsync(Guid conversationId, CancellationToken cancellationToken);

    Task<IReadOnlyList<Conversation>> ListForAccountAsync(Guid accountId, CancellationToken cancellationToken);

    /// <summary>Whether some conversation has both accounts as members (false for two ids of one account).</summary>
    Task<bool> SharesConversationAsync(Guid accountId, Guid otherAccountId, CancellationToken cancellationToken);
}
