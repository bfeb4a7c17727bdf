using Messaging.Contracts;

namespace Messaging.Server.Features.Audit;

/// <summary>
/// Records security events in the audit log and mirrors them to the structured log. Only ids and stable codes go
/// in: never names, addresses, tokens or content. The methods take no cancellation token: an audit row is never
/// skipped because the caller hung up. Rate-limited refusals are counted by <see cref="RefusalTally"/>: the first of
/// a kind is written at once, the rest of its minute as one row that says how many.
/// </summary>
internal sealed partial class AuditTrail(IAuditLog log, RefusalTally refusals, TimeProvider time, ILogger<AuditTrail> logger)
{
    public Task DeniedAsync(string action, Guid? accountId, Guid? deviceId, string? target, string reason)
    {
        if (reason == ErrorCodes.RateLimited && !refusals.CountIsFirst(new RefusalKind(action, accountId, deviceId, target, reason)))
        {
            return Task.CompletedTask;
        }

        LogDenied(logger, action, accountId, deviceId, target, reason);
        return AppendAsync(action, AuditOutcomes.Denied, accountId, deviceId, target, reason, occurrences: 1);
    }

    public Task SucceededAsync(string action, Guid? accountId, Guid? deviceId, string? target) =>
        AppendAsync(action, AuditOutcomes.Success, accountId, deviceId, target, null, occurrences: 1);

    /// <summary>The row of the refusals of one kind counted after the first, within its minute.</summary>
    public Task AppendRepeatedDenialAsync(RefusalKind kind, int repeats)
    {
        LogDeniedRepeatedly(logger, kind.Action, kind.AccountId, kind.DeviceId, kind.Target, kind.Reason, repeats);
        return AppendAsync(kind.Action, AuditOutcomes.Denied, kind.AccountId, kind.DeviceId, kind.Target, kind.Reason, repeats);
    }

    /// <remarks>
    /// The audit write must not be skipped because the caller hung up, so the caller's token is not passed on: a token
    /// cancelled while the write waited for the group commit dropped it (the store skips writes cancelled by then).
    /// </remarks>
    private Task AppendAsync(
        string action, string outcome, Guid? accountId, Guid? deviceId, string? target, string? reason, int occurrences) =>
        log.AppendAsync(
            new AuditEvent(Guid.CreateVersion7(), time.GetUtcNow(), action, outcome, accountId, deviceId, target, reason, occurrences),
            CancellationToken.None);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Denied {Action} for account {AccountId} device {DeviceId} on {Target}: {Reason}")]
    private static partial void LogDenied(ILogger logger, string action, Guid? accountId, Guid? deviceId, string? target, string reason);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Denied {Action} for account {AccountId} device {DeviceId} on {Target}: {Reason}, {Repeats} more times within a minute")]
    private static partial void LogDeniedRepeatedly(
        ILogger logger, string action, Guid? accountId, Guid? deviceId, string? target, string reason, int repeats);
}
