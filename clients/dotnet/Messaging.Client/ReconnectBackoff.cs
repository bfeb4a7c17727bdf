namespace Messaging.Client;

/// <summary>
/// Exponential backoff with jitter, used between attempts to (re)connect and between retries of a hub call.
/// Attempt <c>n</c> waits between half and all of <c>min(MaxDelay, BaseDelay * 2^n)</c>: the fixed half keeps a
/// failing client from hammering the server, the random half keeps many clients that lost the same server from
/// coming back in lockstep.
/// </summary>
public sealed class ReconnectBackoff
{
    /// <summary>One second, doubling up to thirty seconds.</summary>
    public static ReconnectBackoff Default { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

    public ReconnectBackoff(TimeSpan baseDelay, TimeSpan maxDelay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(baseDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDelay, baseDelay);
        BaseDelay = baseDelay;
        MaxDelay = maxDelay;
    }

    /// <summary>The delay before the second attempt, before jitter.</summary>
    public TimeSpan BaseDelay { get; }

    /// <summary>The longest delay, before jitter.</summary>
    public TimeSpan MaxDelay { get; }

    /// <summary>The delay after <paramref name="attempt"/> failed attempts (0 for the first retry).</summary>
    public TimeSpan GetDelay(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        var step = Math.Min(MaxDelay.Ticks, BaseDelay.Ticks * Math.Pow(2, Math.Min(attempt, 62)));
        var half = step / 2;
        return TimeSpan.FromTicks((long)(half + (Random.Shared.NextDouble() * half)));
    }
}
