using Microsoft.Extensions.Options;
using MimeKit;

namespace Messaging.Server.Features.Notifications.Email;

/// <summary>
/// The <c>Messaging:Email</c> configuration section. With no SMTP host, emails are written as <c>.eml</c> files to a
/// pickup folder, so that a fresh install works without any mail server.
/// </summary>
internal sealed class EmailOptions
{
    public const string Section = "Messaging:Email";

    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>The sender address; its domain also names the Message-Id.</summary>
    public string From { get; set; } = "no-reply@localhost";

    public string FromName { get; set; } = "Messagerie sécurisée";

    /// <summary>Where the pickup-folder sender writes; relative paths and the default are under the data folder.</summary>
    public string? PickupDirectory { get; set; }

    /// <summary>Optional DKIM signing of every outgoing message.</summary>
    public DkimOptions Dkim { get; set; } = new();

    /// <summary>The web client's public URL, from which callers build the links they put in emails.</summary>
    public string PublicBaseUrl { get; set; } = "http://localhost:5000";
}

internal enum SmtpSecurity
{
    /// <summary>Plain text all the way: only for a relay on the same host or a trusted private network.</summary>
    None,

    /// <summary>Connect in plain text, then STARTTLS; the send fails if the server does not offer it (no downgrade).</summary>
    StartTls,

    /// <summary>TLS from the first byte (MailKit's <c>SslOnConnect</c>, usually port 465).</summary>
    Tls,
}

internal sealed class SmtpOptions
{
    /// <summary>The SMTP server; unset means no SMTP (the pickup folder is used instead).</summary>
    public string? Host { get; set; }

    public int Port { get; set; } = 587;

    public SmtpSecurity Security { get; set; } = SmtpSecurity.StartTls;

    /// <summary>When set, the sender authenticates; the password is never logged.</summary>
    public string? UserName { get; set; }

    public string? Password { get; set; }

    public bool CheckCertificateRevocation { get; set; } = true;

    /// <summary>
    /// A PEM file of one or more certificates (a private CA, or the server's own self-signed certificate) trusted for
    /// the SMTP server in addition to the system's roots. There is deliberately no "accept any certificate" switch.
    /// </summary>
    public string? TrustedCertificateFile { get; set; }

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Host);
}

internal sealed class DkimOptions
{
    public string? Domain { get; set; }

    public string? Selector { get; set; }

    /// <summary>A PEM RSA private key (PKCS#1 or PKCS#8), readable by the server's user only.</summary>
    public string? PrivateKeyFile { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Domain) || !string.IsNullOrWhiteSpace(Selector) || !string.IsNullOrWhiteSpace(PrivateKeyFile);
}

/// <summary>Checks the section at start-up, so that a typo fails the start instead of the first sign-in email.</summary>
internal sealed class EmailOptionsValidator : IValidateOptions<EmailOptions>
{
    public ValidateOptionsResult Validate(string? name, EmailOptions options)
    {
        var failures = new List<string>();
        var smtp = options.Smtp;
        if (smtp.IsConfigured && smtp.Port is < 1 or > 65535)
        {
            failures.Add($"{EmailOptions.Section}:Smtp:Port must be between 1 and 65535.");
        }

        if (smtp.Timeout <= TimeSpan.Zero || smtp.Timeout.TotalMilliseconds > int.MaxValue)
        {
            failures.Add($"{EmailOptions.Section}:Smtp:Timeout must be positive.");
        }

        if (smtp.TrustedCertificateFile is { Length: > 0 } trusted && !File.Exists(trusted))
        {
            failures.Add($"{EmailOptions.Section}:Smtp:TrustedCertificateFile does not exist.");
        }

        if (!MailboxAddress.TryParse(options.From, out var from) || from.Domain.Length == 0)
        {
            failures.Add($"{EmailOptions.Section}:From must be an email address.");
        }

        if (!Uri.TryCreate(options.PublicBaseUrl, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add($"{EmailOptions.Section}:PublicBaseUrl must be an absolute http or https URL.");
        }

        var dkim = options.Dkim;
        if (dkim.IsConfigured && (string.IsNullOrWhiteSpace(dkim.Domain) || string.IsNullOrWhiteSpace(dkim.Selector) || !File.Exists(dkim.PrivateKeyFile)))
        {
            failures.Add($"{EmailOptions.Section}:Dkim needs Domain, Selector and an existing PrivateKeyFile, or none of them.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
