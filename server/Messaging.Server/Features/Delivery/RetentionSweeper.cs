using Messaging.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Features.Delivery;

/// <summary>Deletes copies (and idempotency records) whose retention ended. Reads already skip them.</summary>
internal sealed partial class RetentionSweeper(
    IMessageStore messages,
    IOptions<MessagingOptions> options,
    TimeProvider time,
    ILogger<RetentionSweeper> logger) : BackgroundService
{
    public Task<int> SweepAsync(CancellationToken cancellationToken) => messages.PurgeExpiredAsync(time.GetUtcNow(), cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Delivery.SweepInterval, time);
        do
        {
            try
            {
                var purged = await SweepAsync(stoppingToken);
                if (purged > 0)
                {
                    LogPurged(logger, purged);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogSweepFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention sweep deleted {Count} expired copies")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Retention sweep failed; it runs again at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
