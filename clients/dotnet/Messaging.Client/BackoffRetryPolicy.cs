using Microsoft.AspNetCore.SignalR.Client;

namespace Messaging.Client;

/// <summary>
/// SignalR's automatic-reconnect policy: retry forever with <see cref="ReconnectBackoff"/>, unless the client is
/// shutting down or has a permanent failure (bad credentials, revoked device). <c>shouldRetry</c> also sees why the
/// last attempt failed (the connection's loss, before the first).
/// </summary>
internal sealed class BackoffRetryPolicy(ReconnectBackoff backoff, Func<long, Exception?, bool> shouldRetry) : IRetryPolicy
{
    public TimeSpan? NextRetryDelay(RetryContext retryContext) =>
        shouldRetry(retryContext.PreviousRetryCount, retryContext.RetryReason)
            ? backoff.GetDelay((int)Math.Min(retryContext.PreviousRetryCount, int.MaxValue))
            : null;
}
