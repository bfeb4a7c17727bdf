namespace Messaging.Server.Features.Audit;

/// <summary>
/// Records security events in the audit log and mirrors them to the structured log. Only ids and stable codes go
/// in: never names, addresses, tokens or content. The methods take no cancellation token: an audit row is never
/// skipped because the caller hung up.
/// </summary>
internal sealed partial class AuditTrail(IAuditLog log, TimeProvider time, ILogger<AuditTrail> logger)
{
    public Task DeniedAsync(string action, Guid? accountId, Guid? deviceId, string? target, string reason)
    {
        LogDenied(logger, action, accountId, deviceId, target, reason);
        return AppendAsync(action, AuditOutcomes.Denied, accountId, deviceId, target, reason);
    }

    public Task SucceededAsync(string action, Guid? accountId, Guid? deviceId, string? target) =>
        AppendAsync(action, AuditOutcomes.Success, accountId, deviceId, target, null);

    /// <remarks>
    /// The audit write must not be skipped because the caller hung up, so the caller's token is not passed on: a token
    /// cancelled while the write waited for the group commit dropped it (the store skips writes cancelled by then).
    /// </remarks>
    private Task AppendAsync(string action, string outcome, Guid? accountId, Guid? deviceId, string? target, string? reason) =>
        log.AppendAsync(
            new AuditEvent(Guid.CreateVersion7(), time.GetUtcNow(), action, outcome, accountId, deviceId, target, reason),
            CancellationToken.None);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Denied {Action} for account {AccountId} device {DeviceId} on {Target}: {Reason}")]
    private static partial void LogDenied(ILogger logger, string action, Guid? accountId, Guid? deviceId, string? target, string reason);
}
