namespace Messaging.Server.Features.Conversations;

/// <summary>A conversation, opened in one practice (<see cref="PracticeId"/>) whose rules decide who may take part.</summary>
internal sealed record Conversation(Guid Id, Guid CreatedBy, IReadOnlyList<Guid> Members, DateTimeOffset CreatedAt)
{
    public Guid PracticeId { get; init; }
}
