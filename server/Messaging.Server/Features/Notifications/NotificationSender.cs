using Microsoft.Extensions.Options;

namespace Messaging.Server.Features.Notifications;

/// <summary>
/// Sends due notifications in the background on every node. Leases in the store keep two nodes (or a node and its
/// restarted self) from taking the same notification at once; a notification leased by a node that died is taken
/// again once its lease ends, so none is forgotten.
/// </summary>
internal sealed partial class NotificationSender(
    IServiceProvider services, IOptions<NotificationOptions> options, ILogger<NotificationSender> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var notifications = services.GetRequiredService<NotificationService>();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // A full batch means more may be due: look again at once.
                if (await notifications.ProcessDueAsync(stoppingToken) > 0)
                {
                    continue;
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, e.GetType().Name);
            }

            try
            {
                // The real clock paces the polling; due times follow the injected clock.
                await Task.Delay(options.Value.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The notification sender's round failed ({Error}); it tries again")]
    private static partial void LogFailed(ILogger logger, string error);
}
