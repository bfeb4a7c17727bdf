namespace Messaging.Server.Features.Audit;

/// <summary>
/// Records security events in the audit log and mirrors them to the structured log. Only ids and stable codes go
/// in: never names, addresses, tokens or content.
/// </summary>
internal sealed partial class AuditTrail(IAuditLog log, TimeProvider time, ILogger<AuditTrail> logger)
{
    public Task DeniedAsync(string action, Guid? accountId, Guid? deviceId, string? target, string reason, CancellationToken cancellationToken)
    {
        LogDenied(logger, action, accountId, deviceId, target, reason);
        return AppendAsync(action, AuditOutcomes.Denied, accountId, deviceId, target, reason, cancellationToken);
    }

    public Task SucceededAsync(string action, Guid? accountId, Guid? deviceId, string? target, CancellationToken cancellationToken) =>
        AppendAsync(action, AuditOutcomes.Success, accountId, deviceId, target, null, cancellationToken);

    private Task AppendAsync(
        string action, string outcome, Guid? accountId, Guid? deviceId, string? target, string? reason, CancellationToken cancellationToken) =>
        // The audit write must not be skipped because the caller hung up.
        log.AppendAsync(
            new AuditEvent(Guid.CreateVersion7(), time.GetUtcNow(), action, outcome, accountId, deviceId, target, reason),
            cancellationToken.IsCancellationRequested ? CancellationToken.None : cancellationToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Denied {Action} for account {AccountId} device {DeviceId} on {Target}: {Reason}")]
    private static partial void LogDenied(ILogger logger, string action, Guid? accountId, Guid? deviceId, string? target, string reason);
}
