using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Accounts.SecondFactor;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Conversations;
using Messaging.Server.Features.Delivery;
using Messaging.Server.Features.Devices;
using Messaging.Server.Features.Notifications.Email;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Features.Notifications;

/// <summary>
/// Patient notifications through a durable outbox: a message for a patient schedules one (debounced per patient); when
/// it comes due, it is sent only if something still waits for the patient, with a content-free email and a link; a
/// failure is retried with backoff, and given up into a dead-letter state the practice's admins see.
/// </summary>
internal sealed partial class NotificationService(
    INotificationStore store,
    IAccountStore accounts,
    IDeviceStore devices,
    IMessageStore messages,
    IEmailSender sender,
    AccountMail mail,
    NotificationLinks links,
    AuditTrail audit,
    IOptions<NotificationOptions> options,
    IOptions<EmailOptions> emailOptions,
    TimeProvider time,
    ILogger<NotificationService> logger)
{
    /// <summary>The SMTP server is down, refused for now (4xx) or dropped the connection: a temporary failure.</summary>
    private const string SmtpUnavailable = "smtp-unavailable";

    /// <summary>The send was cut off because it would have outlasted the lease: a temporary failure.</summary>
    private const string SmtpTimeout = "smtp-timeout";

    private NotificationOptions Settings => options.Value;

    /// <summary>Schedules a notification for each of these patients (at most one per patient per window).</summary>
    public async Task ScheduleAsync(Conversation conversation, IReadOnlyCollection<Account> patients, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var patient in patients.Where(a => a.Kind == Roles.Patient && a.Profile is not null))
        {
            var notification = new Notification(Guid.CreateVersion7(), patient.Id, conversation.Id, now, now + Settings.Delay);
            if (await store.TryScheduleAsync(notification, Settings.DebounceWindow, cancellationToken))
            {
                LogScheduled(logger, notification.Id, patient.Id);
            }
        }
    }

    /// <summary>
    /// Leases the due notifications and processes them one by one, each within what is left of the batch's lease;
    /// returns how many it took.
    /// </summary>
    public async Task<int> ProcessDueAsync(CancellationToken cancellationToken)
    {
        // Timed from before the lease was taken, on the monotonic clock: once the lease ends, another node may take the
        // same notifications, so every send must be over, and its outcome written, a quarter of the lease before that.
        var leasedAt = time.GetTimestamp();
        var due = await store.LeaseDueAsync(time.GetUtcNow(), Settings.Lease, 20, cancellationToken);
        var margin = Settings.Lease / 4;
        for (var i = 0; i < due.Count; i++)
        {
            var sendTime = Settings.Lease - margin - time.GetElapsedTime(leasedAt);
            if (sendTime < margin)
            {
                // Slow sends used up the lease: the rest are left to it, and taken again (here or on another node)
                // when it ends, rather than sent while another node may be sending them too.
                LogLeaseUsedUp(logger, due.Count - i);
                break;
            }

            await ProcessAsync(due[i], sendTime, cancellationToken);
        }

        return due.Count;
    }

    private async Task ProcessAsync(Notification notification, TimeSpan sendTime, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var patient = await accounts.FindAsync(notification.PatientAccountId, cancellationToken);
        var address = patient is { HasActiveConsent: true } ? mail.AddressOf(patient) : null;
        if (address is null || !await SomethingWaitsAsync(notification.PatientAccountId, now, cancellationToken))
        {
            await store.CloseAsync(notification.Id, NotificationStates.Cancelled, notification.Attempts, address is null ? "no-consent-or-address" : "nothing-waiting", now, cancellationToken);
            LogCancelled(logger, notification.Id);
            return;
        }

        var token = links.TokenFor(notification.Id);
        await store.SaveLinkAsync(
            new NotificationLink(TokenHash.Of(token), notification.Id, notification.PatientAccountId, notification.ConversationId, now + Settings.LinkLifetime),
            cancellationToken);
        var email = EmailTemplates.MessageWaiting(address, patient!.Language, NotificationLinks.Url(emailOptions.Value.PublicBaseUrl, token)) with { MessageId = notification.Id };
        var attempts = notification.Attempts + 1;
        using var leaseEnding = new CancellationTokenSource(sendTime, time);
        using var sending = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, leaseEnding.Token);
        try
        {
            await sender.SendAsync(email, sending.Token);
        }
        catch (Exception e) when (e is EmailDeliveryException or ArgumentException
                                  || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var error = e switch
            {
                OperationCanceledException => SmtpTimeout,
                EmailDeliveryException { IsPermanent: false } => SmtpUnavailable,
                _ => "address-refused",
            };
            await FailAsync(notification, attempts, error, cancellationToken);
            return;
        }

        await store.CloseAsync(notification.Id, NotificationStates.Sent, attempts, null, time.GetUtcNow(), cancellationToken);
        await audit.SucceededAsync("notification.send", notification.PatientAccountId, null, notification.Id.ToString());
        LogSent(logger, notification.Id, attempts);
    }

    /// <summary>A temporary failure is retried with a doubling, jittered delay; the last attempt or a refused address gives up.</summary>
    private async Task FailAsync(Notification notification, int attempts, string error, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (error is not (SmtpUnavailable or SmtpTimeout) || attempts >= Settings.MaxAttempts)
        {
            await store.CloseAsync(notification.Id, NotificationStates.Dead, attempts, error, now, cancellationToken);
            await audit.DeniedAsync("notification.dead", notification.PatientAccountId, null, notification.Id.ToString(), error);
            LogDead(logger, notification.Id, attempts, error);
            return;
        }

        var backoff = TimeSpan.FromTicks(Math.Min(Settings.MaxRetryDelay.Ticks, Settings.FirstRetryDelay.Ticks << Math.Min(attempts - 1, 20)));
        var jitter = backoff * (Random.Shared.NextDouble() * 0.2);
        await store.RescheduleAsync(notification.Id, attempts, error, now + backoff + jitter, cancellationToken);
        LogRetry(logger, notification.Id, attempts, error);
    }

    /// <summary>Whether any active device of the patient still has a copy waiting (read or acknowledged ones are gone).</summary>
    private async Task<bool> SomethingWaitsAsync(Guid patientId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var device in await devices.ListActiveAsync([patientId], cancellationToken))
        {
            if ((await messages.ReadQueueAsync(device.Id, null, 1, now, cancellationToken)).Count > 0)
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slow sends used up the notifications' lease: {Count} left for a later round")]
    private static partial void LogLeaseUsedUp(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Notification {NotificationId} scheduled for account {AccountId}")]
    private static partial void LogScheduled(ILogger logger, Guid notificationId, Guid accountId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Notification {NotificationId} cancelled: nothing to tell")]
    private static partial void LogCancelled(ILogger logger, Guid notificationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Notification {NotificationId} sent (attempt {Attempt})")]
    private static partial void LogSent(ILogger logger, Guid notificationId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification {NotificationId} attempt {Attempt} failed ({Error}); retrying later")]
    private static partial void LogRetry(ILogger logger, Guid notificationId, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Notification {NotificationId} given up after {Attempts} attempts ({Error})")]
    private static partial void LogDead(ILogger logger, Guid notificationId, int attempts, string error);
}
