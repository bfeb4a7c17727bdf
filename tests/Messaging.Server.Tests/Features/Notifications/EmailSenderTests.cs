using System.Security.Cryptography;
using Messaging.Server.Features.Notifications.Email;
using Messaging.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace Messaging.Server.Tests.Features.Notifications;

/// <summary>The email senders against a real SMTP server on loopback and a real pickup folder, and the templates.</summary>
public sealed class EmailSenderTests
{
    private const string Recipient = "patient@example.org";
    private const string Code = "493817";
    private const string Link = "https://messagerie.example.org/connexion?token=k3Y_9zQ";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SendAsync_PlainSmtp_DeliversTextAndHtmlAlternatives()
    {
        await using var server = await SmtpTestServer.StartNewAsync();

        await Smtp(server, SmtpSecurity.None).SendAsync(EmailTemplates.SignInCode(Recipient, "fr", Code), Cancel);

        var received = Assert.Single(await server.WaitForMessagesAsync(1, Wait));
        var message = received.Message;
        Assert.False(received.OverTls);
        Assert.Equal([Recipient], received.Recipients);
        var from = Assert.Single(message.From.Mailboxes);
        Assert.Equal(("no-reply@cabinet.test", "Messagerie sécurisée"), (from.Address, from.Name));
        Assert.Equal(Recipient, Assert.Single(message.To.Mailboxes).Address);
        Assert.Equal("Votre code de connexion", message.Subject);
        Assert.False(string.IsNullOrEmpty(message.MessageId));
        var alternatives = Assert.IsType<MultipartAlternative>(message.Body);
        Assert.Equal(["text/plain", "text/html"], alternatives.Select(p => p.ContentType.MimeType));
        Assert.Contains(Code, message.TextBody, StringComparison.Ordinal);
        Assert.Contains(Code, message.HtmlBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_StartTlsWithTrustedCertificateFile_DeliversOverTls()
    {
        await using var server = await SmtpTestServer.StartNewAsync(startTls: true);

        await Smtp(server, SmtpSecurity.StartTls, o => o.Smtp.TrustedCertificateFile = server.CertificatePemPath).SendAsync(Email(), Cancel);

        Assert.True(Assert.Single(await server.WaitForMessagesAsync(1, Wait)).OverTls);
    }

    [Fact]
    public async Task SendAsync_ImplicitTls_DeliversOverTls()
    {
        await using var server = await SmtpTestServer.StartNewAsync(implicitTls: true);

        await Smtp(server, SmtpSecurity.Tls, o => o.Smtp.TrustedCertificateFile = server.CertificatePemPath).SendAsync(Email(), Cancel);

        Assert.True(Assert.Single(await server.WaitForMessagesAsync(1, Wait)).OverTls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SendAsync_UntrustedCertificate_ThrowsAndDeliversNothing(bool implicitTls)
    {
        await using var server = await SmtpTestServer.StartNewAsync(startTls: !implicitTls, implicitTls: implicitTls);
        var sender = Smtp(server, implicitTls ? SmtpSecurity.Tls : SmtpSecurity.StartTls);

        var failure = await Assert.ThrowsAsync<EmailDeliveryException>(() => sender.SendAsync(Email(), Cancel));

        Assert.False(failure.IsPermanent);
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task SendAsync_StartTlsRequiredButNotOffered_ThrowsInsteadOfSendingInClear()
    {
        await using var server = await SmtpTestServer.StartNewAsync();

        await Assert.ThrowsAsync<EmailDeliveryException>(() =>
            Smtp(server, SmtpSecurity.StartTls, o => o.Smtp.TrustedCertificateFile = server.CertificatePemPath).SendAsync(Email(), Cancel));

        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task SendAsync_RightUserAndPassword_Authenticates()
    {
        await using var server = await SmtpTestServer.StartNewAsync(startTls: true, requireUser: "relay-user", requirePassword: "relay-secret");

        await Smtp(server, SmtpSecurity.StartTls, Authenticated(server, "relay-secret")).SendAsync(Email(), Cancel);

        var received = Assert.Single(await server.WaitForMessagesAsync(1, Wait));
        Assert.Equal("relay-user", received.AuthenticatedUser);
        Assert.True(received.OverTls);
    }

    [Fact]
    public async Task SendAsync_WrongPassword_ThrowsAndLogsNoSecret()
    {
        await using var server = await SmtpTestServer.StartNewAsync(startTls: true, requireUser: "relay-user", requirePassword: "relay-secret");
        using var logs = new LogCapture();

        await Assert.ThrowsAsync<EmailDeliveryException>(() =>
            Smtp(server, SmtpSecurity.StartTls, Authenticated(server, "not-the-secret"), logs).SendAsync(Email(), Cancel));

        Assert.Empty(server.Messages);
        Assert.Contains("not sent over SMTP", logs.AllText, StringComparison.Ordinal);
        AssertNoneOf(logs.AllText, Recipient, Code, "relay-user", "not-the-secret");
    }

    [Fact]
    public async Task SendAsync_ServerDownThenUp_FailsThenDeliversOnRetry()
    {
        await using var server = await SmtpTestServer.StartNewAsync(startTls: true);
        var sender = Smtp(server, SmtpSecurity.StartTls, o => o.Smtp.TrustedCertificateFile = server.CertificatePemPath);
        await server.StopAsync();

        var failure = await Assert.ThrowsAsync<EmailDeliveryException>(() => sender.SendAsync(Email(), Cancel));
        Assert.False(failure.IsPermanent);

        await server.RestartAsync();
        await sender.SendAsync(Email(), Cancel);
        Assert.Single(await server.WaitForMessagesAsync(1, Wait));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SendAsync_WithDkim_SignatureVerifiesAndBreaksOnTampering(bool pkcs8)
    {
        await using var server = await SmtpTestServer.StartNewAsync();
        using var keys = new TempDirectory();
        using var rsa = RSA.Create(2048);
        var keyFile = Path.Combine(keys.Path, "dkim.pem");
        await File.WriteAllTextAsync(keyFile, pkcs8 ? rsa.ExportPkcs8PrivateKeyPem() : rsa.ExportRSAPrivateKeyPem(), Cancel);
        var dkim = new DkimOptions { Domain = "cabinet.test", Selector = "mail2026", PrivateKeyFile = keyFile };

        await Smtp(server, SmtpSecurity.None, o => o.Dkim = dkim).SendAsync(Email(), Cancel);

        var message = Assert.Single(await server.WaitForMessagesAsync(1, Wait)).Message;
        var signature = message.Headers[message.Headers.IndexOf(HeaderId.DkimSignature)];
        Assert.Contains("c=relaxed/relaxed", signature.Value, StringComparison.Ordinal);
        Assert.Contains("h=from:to:subject:date:message-id", signature.Value.Replace(" ", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
        var verifier = new DkimVerifier(new OneKeyLocator("cabinet.test", "mail2026", rsa));
        Assert.True(await verifier.VerifyAsync(message, signature, Cancel));

        message.Subject = "Un autre sujet";
        Assert.False(await verifier.VerifyAsync(message, signature, Cancel));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task SendAsync_NoSmtpHost_WritesOwnerOnlyEmlToPickupFolder()
    {
        using var data = new TempDirectory();
        using var logs = new LogCapture();
        await using var services = Services(data.Path, [], logs);
        await StartHostedServicesAsync(services);

        var sender = Assert.IsType<PickupFolderEmailSender>(services.GetRequiredService<IEmailSender>());
        await sender.SendAsync(EmailTemplates.SignInCode(Recipient, "en", Code), Cancel);

        var folder = Path.Combine(data.Path, "mail-pickup");
        Assert.Equal(folder, sender.Folder);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        var file = Assert.Single(Directory.GetFiles(folder));
        Assert.EndsWith(".eml", file, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var message = await MimeMessage.LoadAsync(file, Cancel);
        Assert.Equal(Recipient, Assert.Single(message.To.Mailboxes).Address);
        Assert.Equal("Your sign-in code", message.Subject);
        Assert.Contains(Code, message.TextBody, StringComparison.Ordinal);

        Assert.Contains($"emails are written to {folder}", logs.AllText, StringComparison.Ordinal);
        AssertNoneOf(logs.AllText, Recipient, Code);
    }

    [Fact]
    public async Task SendAsync_MalformedRecipient_ThrowsWithoutQuotingItAndWritesNothing()
    {
        using var data = new TempDirectory();
        await using var services = Services(data.Path, []);
        var sender = services.GetRequiredService<IEmailSender>();

        var failure = await Assert.ThrowsAsync<ArgumentException>(() =>
            sender.SendAsync(EmailTemplates.SuspiciousSignIn("patient.example.org>\r\nBcc: x", "fr"), Cancel));

        Assert.DoesNotContain("patient", failure.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(data.Path, "mail-pickup")));
    }

    [Fact]
    public async Task AddEmail_SmtpHostSet_UsesSmtpAndLogsEndpointOnly()
    {
        await using var server = await SmtpTestServer.StartNewAsync();
        using var data = new TempDirectory();
        using var logs = new LogCapture();
        await using var services = Services(data.Path, new()
        {
            ["Messaging:Email:Smtp:Host"] = server.Host,
            ["Messaging:Email:Smtp:Port"] = server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Messaging:Email:Smtp:Security"] = "None",
            ["Messaging:Email:From"] = "no-reply@cabinet.test",
        }, logs);
        await StartHostedServicesAsync(services);

        var sender = Assert.IsType<SmtpEmailSender>(services.GetRequiredService<IEmailSender>());
        await sender.SendAsync(EmailTemplates.MessageWaiting(Recipient, null, Link), Cancel);

        Assert.Single(await server.WaitForMessagesAsync(1, Wait));
        Assert.Contains($"Email: SMTP {server.Host}:{server.Port} (None)", logs.AllText, StringComparison.Ordinal);
        Assert.Contains("sent over SMTP", logs.AllText, StringComparison.Ordinal);
        AssertNoneOf(logs.AllText, Recipient, "k3Y_9zQ");
        Assert.False(Directory.Exists(Path.Combine(data.Path, "mail-pickup")));
    }

    [Fact]
    public async Task AddEmail_HalfConfiguredDkim_FailsValidation()
    {
        using var data = new TempDirectory();
        await using var services = Services(data.Path, new() { ["Messaging:Email:Dkim:Domain"] = "cabinet.test" });

        var failure = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<EmailOptions>>().Value);

        Assert.Contains("Dkim", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Templates_NoOrUnknownLanguage_AreFrench()
    {
        Assert.Equal("Votre code de connexion", EmailTemplates.SignInCode(Recipient, null, Code).Subject);
        Assert.Equal("Invitation à la messagerie sécurisée", EmailTemplates.Invitation(Recipient, "de", Link).Subject);
        Assert.Equal("Réinitialisation de votre mot de passe", EmailTemplates.PasswordReset(Recipient, "fr-FR", Link).Subject);
        Assert.Equal("Alerte de sécurité sur votre compte", EmailTemplates.SuspiciousSignIn(Recipient, "").Subject);
        Assert.Equal("Un nouveau message sécurisé vous attend", EmailTemplates.MessageWaiting(Recipient, "xx", Link).Subject);
        Assert.Contains("lang=\"fr\"", EmailTemplates.SuspiciousSignIn(Recipient, null).HtmlBody, StringComparison.Ordinal);
    }

    [Fact]
    public void Templates_EnglishRequested_AreEnglish()
    {
        Assert.Equal("Your sign-in code", EmailTemplates.SignInCode(Recipient, "en", Code).Subject);
        Assert.Equal("Invitation to the secure messaging service", EmailTemplates.Invitation(Recipient, "EN", Link).Subject);
        Assert.Equal("Reset your password", EmailTemplates.PasswordReset(Recipient, "en-GB", Link).Subject);
        Assert.Equal("Security alert for your account", EmailTemplates.SuspiciousSignIn(Recipient, "en_US").Subject);
        Assert.Equal("A new secure message is waiting for you", EmailTemplates.MessageWaiting(Recipient, "en", Link).Subject);
    }

    [Theory]
    [InlineData("fr")]
    [InlineData("en")]
    public void Templates_AnyLanguage_ContainWhatWasGivenAndNothingPersonal(string language)
    {
        var code = EmailTemplates.SignInCode(Recipient, language, Code, validForMinutes: 12);
        Assert.Contains(Code, code.TextBody, StringComparison.Ordinal);
        Assert.Contains("12", code.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain(Code, code.Subject, StringComparison.Ordinal);
        Assert.Contains(language == "en" ? "change your password" : "changez votre mot de passe", code.TextBody, StringComparison.Ordinal);

        OutgoingEmail[] linked =
        [
            EmailTemplates.Invitation(Recipient, language, Link),
            EmailTemplates.PasswordReset(Recipient, language, Link),
            EmailTemplates.MessageWaiting(Recipient, language, Link),
        ];
        Assert.All(linked, email => Assert.Contains(Link, email.TextBody, StringComparison.Ordinal));
        Assert.All(linked, email => Assert.Contains($"href=\"{Link}\"", email.HtmlBody, StringComparison.Ordinal));

        // Names and health data a caller might hold in context: no template has a parameter for them, and the recipient's
        // address stays in the envelope, never in the text.
        foreach (var email in linked.Append(code).Append(EmailTemplates.SuspiciousSignIn(Recipient, language)))
        {
            Assert.Equal(Recipient, email.To);
            AssertNoneOf(email.Subject + email.TextBody + email.HtmlBody, Recipient, "patient@", "Dr", "Martin", "Cabinet", "diab", "<script");
        }
    }

    [Fact]
    public void Templates_LinkWithHtmlSpecialCharacters_IsEncodedInHtml()
    {
        var email = EmailTemplates.MessageWaiting(Recipient, "fr", "https://messagerie.example.org/a?x=1&y=\"><script>alert(1)</script>");

        Assert.DoesNotContain("<script", email.HtmlBody, StringComparison.Ordinal);
        Assert.Matches("<a href=\"https://messagerie\\.example\\.org/a\\?x=1&amp;y=[^\"<>]+\">", email.HtmlBody);
        Assert.Contains("sécurisé", email.HtmlBody, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("JavaScript:alert(document.cookie)")]
    [InlineData("data:text/html,<script>alert(1)</script>")]
    [InlineData("/connexion?token=abc")]
    [InlineData("ftp://example.org/file")]
    [InlineData("")]
    public void Templates_LinkNotAbsoluteHttp_Throws(string link)
    {
        Assert.Throws<ArgumentException>(nameof(link), () => EmailTemplates.Invitation(Recipient, "fr", link));
        Assert.Throws<ArgumentException>(nameof(link), () => EmailTemplates.PasswordReset(Recipient, "en", link));
        Assert.Throws<ArgumentException>(nameof(link), () => EmailTemplates.MessageWaiting(Recipient, null, link));
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("1234567")]
    [InlineData("12a456")]
    [InlineData("١٢٣٤٥٦")]
    public void SignInCode_NotSixAsciiDigits_Throws(string code)
    {
        var failure = Assert.Throws<ArgumentException>(nameof(code), () => EmailTemplates.SignInCode(Recipient, "fr", code));

        Assert.DoesNotContain(code, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OutgoingEmail_ToString_HidesAddressAndBodies()
    {
        var text = EmailTemplates.SignInCode(Recipient, "fr", Code).ToString();

        AssertNoneOf(text, Recipient, Code, "Bonjour");
    }

    private static OutgoingEmail Email() => EmailTemplates.SuspiciousSignIn(Recipient, "fr");

    private static Action<EmailOptions> Authenticated(SmtpTestServer server, string password) => o =>
    {
        o.Smtp.TrustedCertificateFile = server.CertificatePemPath;
        o.Smtp.UserName = "relay-user";
        o.Smtp.Password = password;
    };

    private static SmtpEmailSender Smtp(SmtpTestServer server, SmtpSecurity security, Action<EmailOptions>? configure = null, LogCapture? logs = null)
    {
        var options = new EmailOptions { From = "no-reply@cabinet.test" };
        options.Smtp.Host = server.Host;
        options.Smtp.Port = server.Port;
        options.Smtp.Security = security;
        options.Smtp.Timeout = Wait;
        configure?.Invoke(options);
        var wrapped = Options.Create(options);
        var logger = logs is null ? NullLogger<SmtpEmailSender>.Instance : LoggerFactory.Create(b => b.AddProvider(logs)).CreateLogger<SmtpEmailSender>();
        return new SmtpEmailSender(new EmailMessageBuilder(wrapped, TimeProvider.System), wrapped, logger);
    }

    private static ServiceProvider Services(string dataDirectory, Dictionary<string, string?> settings, LogCapture? logs = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(b =>
        {
            b.SetMinimumLevel(LogLevel.Trace);
            if (logs is not null)
            {
                b.AddProvider(logs);
            }
        });
        services.AddEmail(configuration, dataDirectory);
        return services.BuildServiceProvider(validateScopes: true);
    }

    private static async Task StartHostedServicesAsync(IServiceProvider services)
    {
        foreach (var hosted in services.GetServices<IHostedService>())
        {
            await hosted.StartAsync(Cancel);
        }
    }

    private static void AssertNoneOf(string text, params string[] forbidden)
    {
        foreach (var value in forbidden)
        {
            Assert.DoesNotContain(value, text, StringComparison.Ordinal);
        }
    }

    /// <summary>Plays the DNS TXT record <c>selector._domainkey.domain</c> for the one generated key.</summary>
    private sealed class OneKeyLocator(string domain, string selector, RSA key) : DkimPublicKeyLocatorBase
    {
        public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain1, string selector1, CancellationToken cancellationToken = default) =>
            domain1 == domain && selector1 == selector
                ? GetPublicKey("v=DKIM1; k=rsa; p=" + Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()))
                : throw new InvalidOperationException("No DKIM key for this domain and selector.");

        public override Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain1, string selector1, CancellationToken cancellationToken = default) =>
            Task.FromResult(LocatePublicKey(methods, domain1, selector1, cancellationToken));
    }
}
