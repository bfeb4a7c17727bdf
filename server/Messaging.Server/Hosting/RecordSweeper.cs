using Microsoft.Extensions.Options;

namespace Messaging.Server.Hosting;

/// <summary>
/// A kind of record a feature deletes once its purpose has passed (audit events past their retention, sessions past
/// their lifetime). The feature owns the rule; <see cref="RecordSweeper"/> runs every sweep on one timer.
/// </summary>
internal interface IRecordSweep
{
    /// <summary>What the sweep deletes, for the log: a plural noun such as "audit events".</summary>
    string Records { get; }

    /// <summary>Deletes the records whose time is over at <paramref name="now"/>; returns how many.</summary>
    Task<int> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>
/// Runs every registered <see cref="IRecordSweep"/> at start-up and then every <c>Messaging:Delivery:SweepInterval</c>
/// (5 minutes by default): expired copies should not wait long, and the other sweeps find nothing most times, through
/// an index.
/// </summary>
internal sealed partial class RecordSweeper(
    IEnumerable<IRecordSweep> sweeps, IOptions<MessagingOptions> options, TimeProvider time, ILogger<RecordSweeper> logger)
    : BackgroundService
{
    /// <summary>Runs each sweep once; one that fails is logged and the others still run.</summary>
    public async Task SweepAllAsync(CancellationToken cancellationToken)
    {
        foreach (var sweep in sweeps)
        {
            try
            {
                if (await sweep.SweepAsync(time.GetUtcNow(), cancellationToken) is > 0 and var deleted)
                {
                    LogDeleted(logger, deleted, sweep.Records);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, sweep.Records, e);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Real time: the tests' manual clock decides what is old, this only wakes up.
        using var timer = new PeriodicTimer(options.Value.Delivery.SweepInterval);
        try
        {
            do
            {
                await SweepAllAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Record sweep deleted {Count} {Records}")]
    private static partial void LogDeleted(ILogger logger, int count, string records);

    [LoggerMessage(Level = LogLevel.Error, Message = "Record sweep of {Records} failed; it runs again at the next interval")]
    private static partial void LogFailed(ILogger logger, string records, Exception exception);
}
