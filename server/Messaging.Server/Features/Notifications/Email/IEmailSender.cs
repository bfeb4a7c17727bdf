namespace Messaging.Server.Features.Notifications.Email;

/// <summary>Sends one email. A later outbox retries failed sends, so implementations throw instead of retrying.</summary>
internal interface IEmailSender
{
    /// <exception cref="ArgumentException">The recipient is not a valid address (never worth a retry).</exception>
    /// <exception cref="EmailDeliveryException">The send failed; <see cref="EmailDeliveryException.IsPermanent"/> says whether a retry may help.</exception>
    Task SendAsync(OutgoingEmail email, CancellationToken cancellationToken);
}

/// <summary>One email, already rendered (see <see cref="EmailTemplates"/>).</summary>
internal sealed record OutgoingEmail(string To, string Subject, string TextBody, string HtmlBody)
{
    /// <summary>A fixed Message-Id (the local part), so that a retried email carries the same id; fresh when null.</summary>
    public Guid? MessageId { get; init; }

    /// <summary>Prints neither the address nor the bodies (which hold codes and links): records get logged by mistake.</summary>
    public override string ToString() => $"OutgoingEmail {{ SubjectLength = {Subject.Length} }}";
}

/// <summary>
/// A failed send. Its message names only the kind of failure: the underlying exception is not kept, because SMTP
/// replies often quote the recipient's address and exceptions end up in logs.
/// </summary>
internal sealed class EmailDeliveryException : Exception
{
    public EmailDeliveryException()
    {
    }

    public EmailDeliveryException(string message)
        : base(message)
    {
    }

    public EmailDeliveryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public EmailDeliveryException(string message, bool isPermanent)
        : base(message)
    {
        IsPermanent = isPermanent;
    }

    /// <summary>True when the server refused this recipient for good (a 5xx reply to RCPT TO): retrying will not help.</summary>
    public bool IsPermanent { get; }
}
