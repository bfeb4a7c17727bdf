using Microsoft.AspNetCore.SignalR.Client;

namespace Messaging.Client;

/// <summary>
/// SignalR's automatic-reconnect policy: retry forever with <see cref="ReconnectBackoff"/>, unless the client is
/// shutting down or has a permanent failure (bad credentials, revoked device).
/// </summary>
internal sealed class BackoffRetryPolicy(ReconnectBackoff backoff, Func<long, bool> shouldRetry) : IRetryPolicy
{
    public TimeSpan? NextRetryDelay(RetryContext retryContext) =>
        shouldRetry(retryContext.PreviousRetryCount) ? backoff.GetDelay((int)Math.Min(retryContext.PreviousRetryCount, int.MaxValue)) : null;
}
