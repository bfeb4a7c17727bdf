using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Features.Notifications.Email;

/// <summary>
/// Delivers through an SMTP server with MailKit, one connection per email: sends are rare (sign-in codes,
/// invitations, notices), and a fresh connection never inherits a half-broken session.
/// </summary>
internal sealed partial class SmtpEmailSender : IEmailSender
{
    private readonly EmailMessageBuilder builder;
    private readonly SmtpOptions smtp;
    private readonly string host;
    private readonly X509Certificate2Collection trusted = [];
    private readonly ILogger<SmtpEmailSender> logger;

    public SmtpEmailSender(EmailMessageBuilder builder, IOptions<EmailOptions> options, ILogger<SmtpEmailSender> logger)
    {
        this.builder = builder;
        smtp = options.Value.Smtp;
        host = smtp.IsConfigured ? smtp.Host! : throw new InvalidOperationException($"{EmailOptions.Section}:Smtp:Host is not set.");
        this.logger = logger;
        if (smtp.TrustedCertificateFile is { Length: > 0 } file)
        {
            trusted.ImportFromPemFile(file);
        }
    }

    public async Task SendAsync(OutgoingEmail email, CancellationToken cancellationToken)
    {
        var message = builder.Build(email);
        using var client = new SmtpClient
        {
            Timeout = (int)smtp.Timeout.TotalMilliseconds,
            CheckCertificateRevocation = smtp.CheckCertificateRevocation,
            ServerCertificateValidationCallback = IsServerCertificateTrusted,
        };
        try
        {
            await client.ConnectAsync(host, smtp.Port, SocketOptions(smtp.Security), cancellationToken);
            if (!string.IsNullOrEmpty(smtp.UserName))
            {
                await client.AuthenticateAsync(smtp.UserName, smtp.Password ?? "", cancellationToken);
            }

            await client.SendAsync(message, cancellationToken);
        }
        catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            var failure = Describe(e);
            LogFailed(logger, message.MessageId, failure);
            throw new EmailDeliveryException($"SMTP delivery failed: {failure}", isPermanent: IsPermanent(e));
        }

        LogSent(logger, message.MessageId);
        await QuitAsync(client);
    }

    /// <summary>The server has accepted the message: a failed QUIT must not make the caller send it twice.</summary>
    private static async Task QuitAsync(SmtpClient client)
    {
        try
        {
            await client.DisconnectAsync(quit: true, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or SocketException or MailKit.ProtocolException or MailKit.CommandException or TimeoutException)
        {
            // The connection is dropped with the client anyway.
        }
    }

    private static SecureSocketOptions SocketOptions(SmtpSecurity security) => security switch
    {
        SmtpSecurity.None => SecureSocketOptions.None,
        SmtpSecurity.Tls => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.StartTls,
    };

    /// <summary>
    /// The system's verdict, or else a chain that ends at one of the configured certificates (a private CA or the
    /// server's own self-signed certificate). A wrong host name is never forgiven.
    /// </summary>
    private bool IsServerCertificateTrusted(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (trusted.Count == 0 || certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors)
        {
            return false;
        }

        using var presented = new X509Certificate2(certificate);
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(trusted);
        custom.ChainPolicy.RevocationMode = smtp.CheckCertificateRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            // Intermediates the server sent along, which the custom chain may need to reach the private CA.
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return custom.Build(presented) || IsPinned(presented);
    }

    /// <summary>The exact certificate configured, still within its validity period.</summary>
    private bool IsPinned(X509Certificate2 presented)
    {
        var now = DateTime.Now;
        return now >= presented.NotBefore && now <= presented.NotAfter
            && trusted.Any(t => t.RawDataMemory.Span.SequenceEqual(presented.RawDataMemory.Span));
    }

    /// <summary>Names the failure without the server's reply text, which may quote the recipient's address.</summary>
    private static string Describe(Exception e) => e is SmtpCommandException command
        ? $"{e.GetType().Name} {(int)command.StatusCode} {command.ErrorCode}"
        : e.GetType().Name;

    private static bool IsPermanent(Exception e) =>
        e is SmtpCommandException { ErrorCode: SmtpErrorCode.RecipientNotAccepted } command && (int)command.StatusCode >= 500;

    [LoggerMessage(Level = LogLevel.Information, Message = "Email {MessageId} sent over SMTP")]
    private static partial void LogSent(ILogger logger, string? messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Email {MessageId} not sent over SMTP: {Failure}")]
    private static partial void LogFailed(ILogger logger, string? messageId, string failure);
}
