namespace Messaging.Server.Features.Notifications;

/// <summary>
/// One email telling a patient that a message waits for them (docs/notifications.md). It names the conversation only
/// so that the link can lead there after sign-in; the email itself says nothing of it.
/// </summary>
internal sealed record Notification(Guid Id, Guid PatientAccountId, Guid ConversationId, DateTimeOffset CreatedAt, DateTimeOffset DueAt)
{
    public string State { get; init; } = NotificationStates.Pending;

    /// <summary>Send attempts made so far (failed ones, while pending).</summary>
    public int Attempts { get; init; }

    /// <summary>Until when a sender holds it: another node (or this one after a restart) takes it only afterwards.</summary>
    public DateTimeOffset? LeaseUntil { get; init; }

    /// <summary>The last failure, as a short code (never an address or an SMTP reply, which may quote one).</summary>
    public string? LastError { get; init; }

    /// <summary>When it was sent, cancelled or given up.</summary>
    public DateTimeOffset? ClosedAt { get; init; }
}

internal static class NotificationStates
{
    /// <summary>Waiting for its due time or its next attempt.</summary>
    public const string Pending = "pending";

    /// <summary>The SMTP server accepted it.</summary>
    public const string Sent = "sent";

    /// <summary>Nothing waited any more when it came due (the patient read the message), or the patient cannot be emailed.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>Given up after the last attempt: listed for the practice's admins.</summary>
    public const string Dead = "dead";
}

/// <summary>
/// The link of a sent notification: only the token's hash is stored. Opening it once marks it used; it leads to the
/// web client's sign-in and never signs anyone in.
/// </summary>
internal sealed record NotificationLink(byte[] TokenHash, Guid NotificationId, Guid PatientAccountId, Guid ConversationId, DateTimeOffset ExpiresAt)
{
    public DateTimeOffset? UsedAt { get; init; }
}

/// <summary>The durable outbox of patient notifications, and their links.</summary>
internal interface INotificationStore
{
    /// <summary>
    /// Adds the notification unless the same patient has one, pending or sent, created after
    /// <c>notification.CreatedAt - window</c> (the debounce): false then, and nothing is stored. Atomic: two concurrent
    /// calls for one patient store one notification.
    /// </summary>
    Task<bool> TryScheduleAsync(Notification notification, TimeSpan window, CancellationToken cancellationToken);

    /// <summary>
    /// Atomically leases up to <paramref name="max"/> pending notifications due at <paramref name="now"/> whose lease is
    /// absent or over, setting their lease to <c>now + lease</c>; returns them as leased. Two concurrent callers never get
    /// the same notification.
    /// </summary>
    Task<IReadOnlyList<Notification>> LeaseDueAsync(DateTimeOffset now, TimeSpan lease, int max, CancellationToken cancellationToken);

    /// <summary>Closes a pending notification as sent, cancelled or dead (with its attempts and last error).</summary>
    Task CloseAsync(Guid notificationId, string state, int attempts, string? lastError, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>A failed attempt: counts it, records the error, clears the lease and sets the next due time.</summary>
    Task RescheduleAsync(Guid notificationId, int attempts, string lastError, DateTimeOffset dueAt, CancellationToken cancellationToken);

    Task<Notification?> FindAsync(Guid notificationId, CancellationToken cancellationToken);

    /// <summary>Dead notifications of these patients, newest first.</summary>
    Task<IReadOnlyList<Notification>> ListDeadAsync(IReadOnlyCollection<Guid> patientAccountIds, int limit, CancellationToken cancellationToken);

    /// <summary>Stores the link, or does nothing when a link with this hash exists (a retry of the same notification).</summary>
    Task SaveLinkAsync(NotificationLink link, CancellationToken cancellationToken);

    /// <summary>
    /// Marks the link used at <paramref name="at"/> if it is unused and unexpired, atomically; returns the link as it was
    /// before (so <see cref="NotificationLink.UsedAt"/> set, or <see cref="NotificationLink.ExpiresAt"/> past, tell why it
    /// was refused), or null when no link has this hash.
    /// </summary>
    Task<NotificationLink?> UseLinkAsync(byte[] tokenHash, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the links that expired before <paramref name="now"/>; returns how many. An expired link is refused
    /// whether it is kept or not, and it names a patient and a conversation.
    /// </summary>
    Task<int> PurgeExpiredLinksAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Deletes the notifications closed (sent, cancelled or dead) before <paramref name="before"/>; returns how many.</summary>
    Task<int> PurgeClosedBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken);
}
