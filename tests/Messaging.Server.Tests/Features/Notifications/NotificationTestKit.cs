using System.Globalization;
using System.Text.RegularExpressions;
using Messaging.Client;
using Messaging.Contracts;
using Messaging.Server.Features.Notifications;
using Messaging.Testing;
using MimeKit;

namespace Messaging.Server.Tests.Features.Notifications;

/// <summary>
/// One notification test's world: a real SMTP server on loopback, the real server (Kestrel on loopback, a SQLite file)
/// sending to it, on a clock the test moves, and a scenario in it. Patients are onboarded here rather than with
/// <see cref="Scenario.PatientAsync"/>: with SMTP configured, their sign-in codes arrive at the SMTP server, not in the
/// pickup folder the scenario reads.
/// </summary>
internal sealed partial class NotificationWorld : IAsyncDisposable
{
    public const string PublicBaseUrl = "https://messagerie.cabinet.test";
    public const string FrenchSubject = "Un nouveau message sécurisé vous attend";
    public const string EnglishSubject = "A new secure message is waiting for you";

    /// <summary>How long a message waits before its patient is emailed, in these tests.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromMinutes(1);

    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private readonly List<MessagingClient> clients = [];

    private NotificationWorld(ManualTimeProvider clock, SmtpTestServer smtp, TestServer server, Scenario scenario)
    {
        Clock = clock;
        Smtp = smtp;
        Server = server;
        Scenario = scenario;
    }

    public ManualTimeProvider Clock { get; }

    public SmtpTestServer Smtp { get; }

    public TestServer Server { get; }

    public Scenario Scenario { get; }

    public TestCiphertext Cipher { get; } = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Starts the SMTP server (with STARTTLS when asked, and then the server trusts its certificate) and the server,
    /// with a 1-minute delay, a 50 ms polling interval and long-lived access tokens (the clock moves by minutes);
    /// <paramref name="settings"/> add to or override these.
    /// </summary>
    public static async Task<NotificationWorld> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, bool startTls = false)
    {
        var smtp = await SmtpTestServer.StartNewAsync(startTls: startTls);
        var all = new Dictionary<string, string?>
        {
            ["Messaging:Notifications:Delay"] = Delay.ToString("c", CultureInfo.InvariantCulture),
            ["Messaging:Notifications:PollInterval"] = "00:00:00.050",
            ["Messaging:Email:Smtp:Host"] = smtp.Host,
            ["Messaging:Email:Smtp:Port"] = smtp.Port.ToString(CultureInfo.InvariantCulture),
            ["Messaging:Email:Smtp:Security"] = startTls ? "StartTls" : "None",
            ["Messaging:Email:Smtp:TrustedCertificateFile"] = startTls ? smtp.CertificatePemPath : null,
            ["Messaging:Email:Smtp:Timeout"] = "00:00:20",
            ["Messaging:Email:From"] = "no-reply@messagerie.test",
            ["Messaging:Email:PublicBaseUrl"] = PublicBaseUrl,
            ["Messaging:Tokens:AccessTokenLifetime"] = "1.00:00:00",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var clock = new ManualTimeProvider();
        var server = await TestServer.StartAsync(all, clock);
        var scenario = await Scenario.StartAsync(server);
        return new NotificationWorld(clock, smtp, server, scenario);
    }

    /// <summary>
    /// A patient of the default practice, invited by <paramref name="inviter"/> with an address (their login too), a
    /// name, a phone and a language, who accepted the terms.
    /// </summary>
    public async Task<TestPerson> PatientAsync(TestPerson inviter, string? language = null, string name = "Camille Dupont-Verneuil", string phone = "+33612345678")
    {
        var address = Scenario.UniqueLogin("patient");
        var invitation = await Scenario.Api.InviteAsync(
            await Scenario.FreshTokenAsync(inviter, cancellationToken: Ct), Scenario.Practice, new CreateInvitationRequest(Roles.Patient, address, name, phone, language), Ct);
        var terms = await Scenario.TermsVersionAsync();
        var accepted = await Scenario.Api.AcceptInvitationAsync(new AcceptInvitationRequest(invitation.Token, address, Scenario.Password, terms), cancellationToken: Ct);
        return new TestPerson(address, Scenario.Password, accepted.AccountId, Scenario.Practice, Roles.Patient);
    }

    /// <summary>
    /// Registers a new device for the patient: password, then the code the server emailed (read at the SMTP server),
    /// then the device with a new identity.
    /// </summary>
    public async Task<PatientDevice> RegisterDeviceAsync(TestPerson patient)
    {
        var signedIn = await Scenario.Api.SignInAsync(patient.Login, patient.Password, Ct);
        var before = SignInCodesTo(patient.Login).Count;
        await Scenario.Api.SendEmailCodeAsync(signedIn.AccessToken, Ct);
        await Eventually.WaitAsync(() => SignInCodesTo(patient.Login).Count > before, "the sign-in code at the SMTP server", Wait);
        var code = SixDigits().Match(SignInCodesTo(patient.Login)[^1].TextBody ?? "").Value;
        var verified = await Scenario.Api.VerifySecondFactorAsync(signedIn.AccessToken, SecondFactors.EmailCode, code, Ct);
        var identity = TestIdentities.NewIdentity();
        var device = await Scenario.Api.RegisterDeviceAsync(verified.AccessToken, new RegisterDeviceRequest(identity.Encoded), Ct);
        return new PatientDevice(patient, device.DeviceId, identity);
    }

    /// <summary>A client for the patient's device (not connected): it opens its sessions with the patient's password.</summary>
    public MessagingClient ClientFor(PatientDevice device)
    {
        var client = new MessagingClient(new MessagingClientOptions
        {
            ServerUri = Scenario.BaseAddress,
            DeviceId = device.DeviceId,
            ReconnectBackoff = Scenario.FastBackoff,
            Session = new DeviceSessionOptions
            {
                SignChallenge = challenge => device.Identity.SignSessionChallenge(challenge, device.DeviceId),
                SignIn = async ct => (await Scenario.Api.SignInAsync(device.Patient.Login, device.Patient.Password, ct)).AccessToken,
            },
        });
        clients.Add(client);
        return client;
    }

    /// <summary>A doctor of the default practice with a connected device, a patient with one registered device that stays offline, and their conversation.</summary>
    public async Task<Consultation> ConsultationAsync(string? language = null, string name = "Camille Dupont-Verneuil", string phone = "+33612345678")
    {
        var doctor = await Scenario.MemberAsync();
        var patient = await PatientAsync(doctor, language, name, phone);
        var patientDevice = await RegisterDeviceAsync(patient);
        var conversation = await Scenario.ConversationAsync(doctor, patient);
        var doctorDevice = await Scenario.DeviceAsync(doctor);
        return new Consultation(doctor, doctorDevice, patient, patientDevice, conversation);
    }

    /// <summary>The "message waiting" emails the SMTP server accepted (sign-in codes and invitations go there too), oldest first.</summary>
    public IReadOnlyList<ReceivedEmail> Notices() =>
        [.. Smtp.Messages.Where(m => m.Message.Subject is FrenchSubject or EnglishSubject)];

    public IReadOnlyList<ReceivedEmail> NoticesTo(TestPerson patient) =>
        [.. Notices().Where(m => m.Recipients.Contains(patient.Login, StringComparer.OrdinalIgnoreCase))];

    /// <summary>Waits until <paramref name="count"/> notices reached the SMTP server, and returns them.</summary>
    public async Task<IReadOnlyList<ReceivedEmail>> WaitForNoticesAsync(int count)
    {
        await Eventually.WaitAsync(() => Notices().Count >= count, $"{count} message-waiting email(s)", Wait);
        return Notices();
    }

    /// <summary>Moves the clock past the notification delay of what was just sent.</summary>
    public void PassTheDelay() => Clock.Advance(Delay + TimeSpan.FromSeconds(1));

    /// <summary>The ids of the notifications scheduled for the patient so far, oldest first (from the server's log).</summary>
    public IReadOnlyList<Guid> ScheduledFor(TestPerson patient) =>
        [.. Server.Logs.Lines
            .Select(line => Scheduled().Match(line))
            .Where(m => m.Success && Guid.Parse(m.Groups[2].Value) == patient.AccountId)
            .Select(m => Guid.Parse(m.Groups[1].Value))
            .Distinct()];

    /// <summary>The one notification scheduled for the patient (waits for its scheduling, which follows the sender's ack).</summary>
    public async Task<Guid> TheNotificationOfAsync(TestPerson patient)
    {
        await Eventually.WaitAsync(() => ScheduledFor(patient).Count > 0, "a notification scheduled for the patient", Wait);
        return Assert.Single(ScheduledFor(patient));
    }

    public async Task<Notification> FindAsync(Guid notificationId) =>
        await Server.Get<INotificationStore>().FindAsync(notificationId, Ct) ?? throw new InvalidOperationException($"No notification {notificationId}.");

    /// <summary>Waits until the notification satisfies <paramref name="condition"/> (as the sender's rounds move it along), and returns it.</summary>
    public async Task<Notification> WaitForAsync(Guid notificationId, Func<Notification, bool> condition, string what)
    {
        await Eventually.WaitAsync(async () => condition(await FindAsync(notificationId)), what, Wait);
        return await FindAsync(notificationId);
    }

    /// <summary>Waits until every notification of the patient is closed (sent, cancelled or dead): none can send anything any more.</summary>
    public async Task<IReadOnlyList<Notification>> WaitUntilAllClosedAsync(TestPerson patient)
    {
        async Task<Notification[]> AllAsync() => await Task.WhenAll(ScheduledFor(patient).Select(FindAsync));
        await Eventually.WaitAsync(async () => (await AllAsync()).All(n => n.State != NotificationStates.Pending), "the patient's notifications to be closed", Wait);
        return await AllAsync();
    }

    /// <summary>One more polling round, run now and awaited (the background one runs too): how many due notifications it took.</summary>
    public Task<int> PollNowAsync() => Server.Get<NotificationService>().ProcessDueAsync(Ct);

    /// <summary>The link in a notice's text body.</summary>
    public static string LinkIn(ReceivedEmail email) =>
        Link().Match(email.Message.TextBody ?? "") is { Success: true } match ? match.Value : throw new InvalidOperationException("No link in the email.");

    /// <summary>The token of the link in a notice's text body.</summary>
    public static string TokenIn(ReceivedEmail email) => LinkIn(email)[(PublicBaseUrl.Length + "/n/".Length)..];

    /// <summary>Everything a reader of the email sees, decoded: every header, the text and the HTML.</summary>
    public static string Readable(MimeMessage message) =>
        string.Join('\n', message.Headers.Select(h => $"{h.Field}: {h.Value}")) + "\n" + message.Subject + "\n" + message.TextBody + "\n" + message.HtmlBody;

    public async ValueTask DisposeAsync()
    {
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        await Scenario.DisposeAsync();
        await Server.DisposeAsync();
        await Smtp.DisposeAsync();
    }

    private IReadOnlyList<MimeMessage> SignInCodesTo(string address) =>
        [.. Smtp.Messages
            .Where(m => m.Recipients.Contains(address, StringComparer.OrdinalIgnoreCase) && m.Message.Subject is "Votre code de connexion" or "Your sign-in code")
            .Select(m => m.Message)];

    [GeneratedRegex(@"\b\d{6}\b")]
    private static partial Regex SixDigits();

    [GeneratedRegex(@"https://messagerie\.cabinet\.test/n/[A-Za-z0-9_\-]+")]
    private static partial Regex Link();

    [GeneratedRegex(@"Notification ([0-9a-fA-F\-]{36}) scheduled for account ([0-9a-fA-F\-]{36})")]
    private static partial Regex Scheduled();
}

/// <summary>A patient's device registered by the test, with the identity that signs its session challenges.</summary>
internal sealed record PatientDevice(TestPerson Patient, Guid DeviceId, TestIdentity Identity);

/// <summary>A doctor (connected) and a patient (offline) in one conversation.</summary>
internal sealed record Consultation(TestPerson Doctor, MessagingClient DoctorDevice, TestPerson Patient, PatientDevice PatientDevice, Guid Conversation);
