using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MimeKit;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.ComponentModel;
using SmtpServer.IO;
using SmtpServer.Mail;
using SmtpServer.Net;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Messaging.Testing;

/// <summary>
/// A real SMTP server on a loopback port (the SmtpServer package): plain, STARTTLS or implicit TLS with a self-signed
/// certificate made at start, optional AUTH. Every message it accepts is parsed with MimeKit and kept. It can be
/// stopped and started again on the same port, to test a sender's retries, and it can hold senders at RCPT TO
/// (<see cref="HoldRecipients"/>), to test what happens to a send cut off in the middle of its transaction.
/// </summary>
public sealed class SmtpTestServer : IAsyncDisposable
{
    private readonly TempDirectory folder = new();
    private readonly X509Certificate2 certificate;
    private readonly Lock gate = new();
    private readonly List<ReceivedEmail> received = [];
    private TaskCompletionSource changed = NewSignal();
    private TaskCompletionSource? recipientHold;
    private int heldRecipients;
    private readonly HashSet<ISessionContext> openSessions = [];
    private CancellationTokenSource? stopping;
    private Task? running;
    private (bool StartTls, bool ImplicitTls, string? User, string? Password) settings;

    public SmtpTestServer()
    {
        certificate = CreateCertificate();
        CertificatePemPath = Path.Combine(folder.Path, "smtp-test-server.pem");
        File.WriteAllText(CertificatePemPath, certificate.ExportCertificatePem());
    }

    public string Host => "127.0.0.1";

    /// <summary>Chosen at the first start and kept by later starts.</summary>
    public int Port { get; private set; }

    /// <summary>The server's self-signed certificate (SAN 127.0.0.1 and localhost), for <c>TrustedCertificateFile</c>.</summary>
    public string CertificatePemPath { get; }

    public IReadOnlyList<ReceivedEmail> Messages
    {
        get
        {
            lock (gate)
            {
                return [.. received];
            }
        }
    }

    /// <summary>How many RCPT TO commands have reached a hold (<see cref="HoldRecipients"/>) so far, released or not.</summary>
    public int HeldRecipients
    {
        get
        {
            lock (gate)
            {
                return heldRecipients;
            }
        }
    }

    public static async Task<SmtpTestServer> StartNewAsync(bool startTls = false, bool implicitTls = false, string? requireUser = null, string? requirePassword = null)
    {
        var server = new SmtpTestServer();
        await server.StartAsync(startTls, implicitTls, requireUser, requirePassword);
        return server;
    }

    /// <summary>Starts listening; returns once the port accepts connections.</summary>
    public async Task StartAsync(bool startTls = false, bool implicitTls = false, string? requireUser = null, string? requirePassword = null)
    {
        if (running is not null)
        {
            throw new InvalidOperationException("The SMTP test server is already running.");
        }

        settings = (startTls, implicitTls, requireUser, requirePassword);
        Port = Port == 0 ? FreePort.Next() : Port;
        var options = new SmtpServerOptionsBuilder()
            .ServerName("localhost")
            .Endpoint(endpoint =>
            {
                endpoint.Endpoint(new IPEndPoint(IPAddress.Loopback, Port)).IsSecure(implicitTls);
                if (startTls || implicitTls)
                {
                    endpoint.Certificate(certificate);
                }

                if (requireUser is not null)
                {
                    // AUTH before STARTTLS is allowed too, so that a wrong password, not the transport, is what gets refused.
                    endpoint.AuthenticationRequired(true).AllowUnsecureAuthentication(true);
                }
            })
            .Build();

        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var listeners = new EndpointListenerFactory();
        listeners.EndpointStarted += (_, _) => listening.TrySetResult();
        var services = new ServiceProvider();
        services.Add(listeners);
        services.Add(new Store(this));
        services.Add(new RecipientHold(this));
        if (requireUser is not null)
        {
            services.Add(new DelegatingUserAuthenticator((user, password) => user == requireUser && password == requirePassword));
        }

        stopping = new CancellationTokenSource();
        var smtp = new global::SmtpServer.SmtpServer(options, services);
        smtp.SessionCreated += (_, e) => Track(e.Context, open: true);
        smtp.SessionCompleted += (_, e) => Track(e.Context, open: false);
        smtp.SessionFaulted += (_, e) => Track(e.Context, open: false);
        smtp.SessionCancelled += (_, e) => Track(e.Context, open: false);
        running = smtp.StartAsync(stopping.Token);

        // Either the port is bound, or the server failed (the port was taken): both end the wait.
        var failed = running;
        if (await Task.WhenAny(listening.Task, failed) == failed)
        {
            stopping.Dispose();
            (running, stopping) = (null, null);
            await failed;
        }
    }

    /// <summary>Starts again on the same port with the settings of the last start.</summary>
    public Task RestartAsync() => StartAsync(settings.StartTls, settings.ImplicitTls, settings.User, settings.Password);

    /// <summary>Stops listening and drops open sessions; the port is free again when this returns.</summary>
    public async Task StopAsync()
    {
        if (running is null || stopping is null)
        {
            return;
        }

        await stopping.CancelAsync();
        try
        {
            await running;
        }
        catch (OperationCanceledException)
        {
            // The expected end of a cancelled server.
        }

        stopping.Dispose();
        (running, stopping) = (null, null);
    }

    /// <summary>
    /// From now on, every RCPT TO waits, unanswered, until <see cref="ReleaseRecipients"/>: a sender is stuck in the
    /// middle of its transaction, before DATA, so nothing of the message has been sent yet.
    /// </summary>
    public void HoldRecipients()
    {
        lock (gate)
        {
            recipientHold ??= NewSignal();
        }
    }

    /// <summary>Answers the held RCPT TO commands (as accepted) and stops holding new ones.</summary>
    public void ReleaseRecipients()
    {
        TaskCompletionSource? hold;
        lock (gate)
        {
            (hold, recipientHold) = (recipientHold, null);
        }

        hold?.TrySetResult();
    }

    /// <summary>Waits until at least <paramref name="count"/> RCPT TO commands have reached the hold.</summary>
    public Task WaitForHeldRecipientsAsync(int count, TimeSpan timeout) =>
        Eventually.WaitAsync(() => HeldRecipients >= count, $"{count} RCPT TO command(s) held", timeout);

    /// <summary>Waits until no SMTP session is open any more (ended by the client, dropped, or failed).</summary>
    public Task WaitForNoOpenSessionAsync(TimeSpan timeout) =>
        Eventually.WaitAsync(
            () =>
            {
                lock (gate)
                {
                    return openSessions.Count == 0;
                }
            },
            "every SMTP session to end",
            timeout);

    /// <summary>Waits until at least <paramref name="count"/> messages arrived, then returns all of them.</summary>
    public async Task<IReadOnlyList<ReceivedEmail>> WaitForMessagesAsync(int count, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            Task next;
            lock (gate)
            {
                if (received.Count >= count)
                {
                    return [.. received];
                }

                next = changed.Task;
            }

            try
            {
                await next.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Expected {count} email(s) within {timeout}, got {Messages.Count}.");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        ReleaseRecipients();
        await StopAsync();
        certificate.Dispose();
        folder.Dispose();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Add(ReceivedEmail email)
    {
        TaskCompletionSource signal;
        lock (gate)
        {
            received.Add(email);
            (signal, changed) = (changed, NewSignal());
        }

        signal.TrySetResult();
    }

    /// <summary>A set rather than a count: depending on the path, a session may end with more than one event, or without a start.</summary>
    private void Track(ISessionContext session, bool open)
    {
        lock (gate)
        {
            _ = open ? openSessions.Add(session) : openSessions.Remove(session);
        }
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        // A PKCS#12 round trip gives a key that SslStream can use on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), password: null);
    }

    /// <summary>Accepts every sender and recipient, making RCPT TO wait while a hold is on.</summary>
    private sealed class RecipientHold(SmtpTestServer server) : MailboxFilter
    {
        public override async Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
        {
            Task? hold;
            lock (server.gate)
            {
                hold = server.recipientHold?.Task;
                if (hold is not null)
                {
                    server.heldRecipients++;
                }
            }

            if (hold is not null)
            {
                await hold.WaitAsync(cancellationToken);
            }

            return true;
        }
    }

    /// <summary>Parses each accepted message; whether it came over TLS and who authenticated are kept for the tests.</summary>
    private sealed class Store(SmtpTestServer server) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            using var stream = new MemoryStream(buffer.ToArray());
            var message = await MimeMessage.LoadAsync(stream, cancellationToken);
            var secure = context.Pipe is ISecurableDuplexPipe { IsSecure: true };
            var recipients = transaction.To.Select(m => m.AsAddress()).ToArray();
            server.Add(new ReceivedEmail(message, recipients, secure, context.Authentication.IsAuthenticated ? context.Authentication.User : null));
            return SmtpResponse.Ok;
        }
    }
}

/// <summary>One accepted message: the parsed MIME message, the envelope recipients, and how the session was secured.</summary>
public sealed record ReceivedEmail(MimeMessage Message, IReadOnlyList<string> Recipients, bool OverTls, string? AuthenticatedUser);
