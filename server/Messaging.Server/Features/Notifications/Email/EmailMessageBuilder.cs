using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Cryptography;
using MimeKit.Utils;

namespace Messaging.Server.Features.Notifications.Email;

/// <summary>
/// Turns an <see cref="OutgoingEmail"/> into the MIME message that both senders deliver: text and HTML
/// alternatives, a fresh Message-Id, and a DKIM signature when configured.
/// </summary>
internal sealed class EmailMessageBuilder
{
    private static readonly HeaderId[] SignedHeaders = [HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId];

    private readonly MailboxAddress from;
    private readonly DkimSigner? signer;
    private readonly TimeProvider time;

    public EmailMessageBuilder(IOptions<EmailOptions> options, TimeProvider time)
    {
        var settings = options.Value;
        from = new MailboxAddress(settings.FromName, settings.From);
        signer = settings.Dkim.IsConfigured ? LoadSigner(settings.Dkim) : null;
        this.time = time;
    }

    public MimeMessage Build(OutgoingEmail email)
    {
        ArgumentNullException.ThrowIfNull(email);

        // The exception does not quote the address: it may well be logged.
        if (!MailboxAddress.TryParse(email.To, out var to) || to.Domain.Length == 0)
        {
            throw new ArgumentException("The recipient is not a valid email address.", nameof(email));
        }

        var message = new MimeMessage
        {
            Subject = email.Subject,
            Date = time.GetUtcNow(),
            // A caller that may send the same email again (an outbox retry) fixes the id, so copies are recognisable.
            MessageId = email.MessageId is { } id ? $"{id:N}@{from.Domain}" : MimeUtils.GenerateMessageId(from.Domain),
            Body = new BodyBuilder { TextBody = email.TextBody, HtmlBody = email.HtmlBody }.ToMessageBody(),
        };
        message.From.Add(from);
        message.To.Add(to);

        // RFC 3834: an automatic message, so that out-of-office replies are not sent back to no-reply.
        message.Headers.Add("Auto-Submitted", "auto-generated");

        // Settle every transfer encoding now: a relay that re-encoded the body after signing would break DKIM.
        message.Prepare(EncodingConstraint.SevenBit);
        signer?.Sign(message, SignedHeaders);
        return message;
    }

    private static DkimSigner LoadSigner(DkimOptions dkim)
    {
        using var key = File.OpenRead(dkim.PrivateKeyFile!);
        return new DkimSigner(key, dkim.Domain!, dkim.Selector!, DkimSignatureAlgorithm.RsaSha256)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        };
    }
}
