namespace Messaging.Server.Features.Audit;

/// <summary>
/// A security-relevant event. Holds ids and stable codes only: never a name, an email address, a token or content.
/// </summary>
internal sealed record AuditEvent(
    Guid Id,
    DateTimeOffset At,
    string Action,
    string Outcome,
    Guid? AccountId,
    Guid? DeviceId,
    string? Target,
    string? Reason);

internal static class AuditOutcomes
{
    public const string Success = "success";
    public const string Denied = "denied";
}
