namespace Messaging.Server.Features.Conversations;

internal sealed record Conversation(Guid Id, Guid CreatedBy, IReadOnlyList<Guid> Members, DateTimeOffset CreatedAt);
