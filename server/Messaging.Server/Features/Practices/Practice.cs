namespace Messaging.Server.Features.Practices;

/// <summary>A practice (cabinet): the tenant. Its name is shown to its own people only, never put in an email.</summary>
internal sealed record Practice(Guid Id, string Name, DateTimeOffset CreatedAt);

/// <summary>
/// One role of one account in one practice (<see cref="Contracts.Roles"/>: admin, secretary, doctor, patient). An
/// account may hold several: a secretary serving many practices, an admin who is also a doctor.
/// </summary>
internal sealed record Membership(Guid PracticeId, Guid AccountId, string Role, DateTimeOffset Since);

/// <summary>
/// A single-use invitation into <see cref="PracticeId"/> with <see cref="Role"/>. Only the token's hash is stored.
/// <see cref="Profile"/> is the invitee's sealed PersonalProfile (owner: the invitation id) when the inviter gave one.
/// </summary>
internal sealed record Invitation(
    Guid Id,
    byte[] TokenHash,
    Guid PracticeId,
    string Role,
    Guid? InvitedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt)
{
    public byte[]? Profile { get; init; }

    public string Language { get; init; } = "fr";

    public DateTimeOffset? UsedAt { get; init; }

    public Guid? UsedBy { get; init; }
}
