namespace Messaging.Server.Features.Notifications;

/// <summary>The <c>Messaging:Notifications</c> configuration section (docs/notifications.md).</summary>
internal sealed class NotificationOptions
{
    public const string Section = "Messaging:Notifications";

    /// <summary>How long a message may wait unread before its patient is emailed (a connected device reads it sooner).</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>At most one notification per patient in this window, however many messages arrive.</summary>
    public TimeSpan DebounceWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the sender looks for due notifications.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Attempts before a notification is given up (dead-lettered, listed for the practice's admins).</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The delay after the first failure; it doubles with each further one (with up to 20 % jitter).</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long one sender holds the notifications it took: a send is cut off a quarter of it before it ends, and none
    /// starts once half of it has gone (<see cref="NotificationService.ProcessDueAsync"/>).
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long the link in the email works.</summary>
    public TimeSpan LinkLifetime { get; set; } = TimeSpan.FromDays(7);
}
