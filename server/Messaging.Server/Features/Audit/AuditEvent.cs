namespace Messaging.Server.Features.Audit;

/// <summary>
/// A security-relevant event. Holds ids and stable codes only: never a name, an email address, a token or content.
/// <see cref="Occurrences"/> is how many events of this kind the row stands for: 1, except for the rate-limited
/// refusals a <see cref="RefusalTally"/> counted in the minute before <see cref="At"/>.
/// </summary>
internal sealed record AuditEvent(
    Guid Id,
    DateTimeOffset At,
    string Action,
    string Outcome,
    Guid? AccountId,
    Guid? DeviceId,
    string? Target,
    string? Reason,
    int Occurrences);

internal static class AuditOutcomes
{
    public const string Success = "success";
    public const string Denied = "denied";
}
