namespace Messaging.Server.Features.Audit;

/// <summary>
/// Writes the rows of the rate-limited refusals <see cref="RefusalTally"/> counted, once their minute is over, and
/// every count left when the server stops. A crash loses at most the last minute's counts, never the first refusal
/// of a kind, which was written at once.
/// </summary>
internal sealed partial class RefusalTallyFlush(RefusalTally tally, AuditTrail audit, ILogger<RefusalTallyFlush> logger)
    : BackgroundService
{
    /// <summary>How often closed windows are looked for: a count is written at most this long after its minute ends.</summary>
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(all: true);
    }

    /// <summary>Writes the counts of the windows that are over (all of them when <paramref name="all"/>).</summary>
    public async Task FlushAsync(bool all)
    {
        foreach (var (kind, repeats) in tally.TakeClosedWindows(all))
        {
            try
            {
                await audit.AppendRepeatedDenialAsync(kind, repeats);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogFlushFailed(logger, kind.Action, repeats, e);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Real time, not the injected clock: the tests' manual clock decides which windows are over, this only wakes up.
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(all: false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync writes what is left.
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not write the audit row of {Repeats} repeated {Action} refusals")]
    private static partial void LogFlushFailed(ILogger logger, string action, int repeats, Exception exception);
}
