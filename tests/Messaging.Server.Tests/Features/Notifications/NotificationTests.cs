using System.Net;
using System.Text;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Delivery;
using Messaging.Server.Features.Notifications;
using Messaging.Server.Tests.Features.Accounts;
using Messaging.Testing;
using MimeKit;

namespace Messaging.Server.Tests.Features.Notifications;

/// <summary>
/// Patient notifications end to end (docs/notifications.md): the real server on loopback with a SQLite file, a real
/// SMTP server on loopback, and a clock the test moves for due times (the sender polls every 50 ms of real time).
/// </summary>
public sealed class NotificationTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(null, NotificationWorld.FrenchSubject, "fr", "Bonjour")]
    [InlineData("en", NotificationWorld.EnglishSubject, "en", "Hello")]
    public async Task ProcessDue_PatientDeviceOffline_SendsOneContentFreeEmailWithTheLink(string? language, string subject, string htmlLanguage, string greeting)
    {
        await using var world = await NotificationWorld.StartAsync();
        const string Name = "Camille Dupont-Verneuil";
        const string Phone = "+33612345678";
        var c = await world.ConsultationAsync(language, Name, Phone);
        var marker = Encoding.UTF8.GetBytes($"glycemie-1.26-g/L-{Guid.NewGuid():N}");

        await c.DoctorDevice.SendToConversationAsync(c.Conversation, _ => marker, cancellationToken: Ct);
        var id = await world.TheNotificationOfAsync(c.Patient);
        var scheduled = await world.FindAsync(id);
        world.PassTheDelay();
        var email = Assert.Single(await world.WaitForNoticesAsync(1));

        // Closed as sent once the SMTP server took it; later rounds, past any lease or retry, send nothing more.
        var sent = Assert.Single(await world.WaitUntilAllClosedAsync(c.Patient));
        world.Clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(0, await world.PollNowAsync());
        Assert.Single(world.Notices());

        Assert.Equal(NotificationWorld.Delay, scheduled.DueAt - scheduled.CreatedAt);
        Assert.Equal((NotificationStates.Sent, 1), (sent.State, sent.Attempts));
        var message = email.Message;
        Assert.Equal([c.Patient.Login], email.Recipients);
        Assert.Equal(c.Patient.Login, Assert.Single(message.To.Mailboxes).Address);
        Assert.Equal(subject, message.Subject);
        Assert.Equal($"{id:N}@messagerie.test", message.MessageId);
        Assert.Equal("auto-generated", message.Headers["Auto-Submitted"]);
        Assert.Equal(["text/plain", "text/html"], Assert.IsType<MultipartAlternative>(message.Body).Select(p => p.ContentType.MimeType));
        Assert.StartsWith(greeting, message.TextBody, StringComparison.Ordinal);
        Assert.Contains($"lang=\"{htmlLanguage}\"", message.HtmlBody, StringComparison.Ordinal);
        var link = NotificationWorld.LinkIn(email);
        Assert.StartsWith($"{NotificationWorld.PublicBaseUrl}/n/", link, StringComparison.Ordinal);
        Assert.True(NotificationWorld.TokenIn(email).Length >= 43, "The link's token carries 256 bits.");
        Assert.Contains($"href=\"{link}\"", message.HtmlBody, StringComparison.Ordinal);
        var readable = NotificationWorld.Readable(message);
        foreach (var forbidden in new[]
        {
            Encoding.UTF8.GetString(marker), "glycemie", Convert.ToBase64String(marker), c.Doctor.Login, "Cabinet de test", Name, "Dupont", Phone, "612345678",
            c.Conversation.ToString(), c.Conversation.ToString("N"), c.Patient.AccountId.ToString(), c.Doctor.AccountId.ToString(),
        })
        {
            Assert.DoesNotContain(forbidden, readable, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Schedule_ThreeMessagesWithinTheWindow_OneEmailThenASecondAfterTheWindow()
    {
        var window = TimeSpan.FromMinutes(10);
        await using var world = await NotificationWorld.StartAsync(new Dictionary<string, string?> { ["Messaging:Notifications:DebounceWindow"] = "00:10:00" });
        var c = await world.ConsultationAsync();

        foreach (var text in new[] { "Votre rendez-vous est confirmé", "Pensez à apporter l'ordonnance", "À mardi" })
        {
            await c.DoctorDevice.SendTextAsync(c.Conversation, world.Cipher, text);
        }

        var first = await world.TheNotificationOfAsync(c.Patient);
        world.PassTheDelay();
        await world.WaitForNoticesAsync(1);
        await world.WaitUntilAllClosedAsync(c.Patient);
        world.Clock.Advance(Lease + NotificationWorld.Delay);
        Assert.Equal(0, await world.PollNowAsync());
        Assert.Equal([first], world.ScheduledFor(c.Patient));
        Assert.Single(world.NoticesTo(c.Patient));

        world.Clock.Advance(window);
        await c.DoctorDevice.SendTextAsync(c.Conversation, world.Cipher, "Vos résultats sont arrivés");
        await Eventually.WaitAsync(() => world.ScheduledFor(c.Patient).Count == 2, "a second notification after the window", NotificationWorld.Wait);
        world.PassTheDelay();
        var notices = await world.WaitForNoticesAsync(2);
        var closed = await world.WaitUntilAllClosedAsync(c.Patient);

        Assert.Equal(2, world.NoticesTo(c.Patient).Count);
        Assert.Equal(2, notices.Count);
        Assert.All(closed, n => Assert.Equal(NotificationStates.Sent, n.State));
        Assert.Equal(world.ScheduledFor(c.Patient).Select(n => $"{n:N}@messagerie.test"), notices.Select(n => n.Message.MessageId));
        Assert.NotEqual(NotificationWorld.LinkIn(notices[0]), NotificationWorld.LinkIn(notices[1]));
    }

    [Fact]
    public async Task Send_RetryOfAMessageStoredWithoutItsNotification_SchedulesItOnce()
    {
        // A node may commit a message and die before scheduling the patient's notification; the sender, never
        // answered, retries with the same id. The message here is stored as that node left it: no notification.
        await using var world = await NotificationWorld.StartAsync();
        var c = await world.ConsultationAsync();
        var messageId = Messaging.Client.MessagingClient.NewMessageId();
        var now = world.Clock.GetUtcNow();
        await world.Server.Get<IMessageStore>().AppendAsync(
            new MessageBatch(c.Conversation, messageId, c.Doctor.AccountId, c.DoctorDevice.DeviceId,
                [new CopyToQueue(c.PatientDevice.DeviceId, world.Cipher.Seal("Rendez-vous confirmé"))], now, now + TimeSpan.FromDays(30)),
            Ct);
        Assert.Empty(world.ScheduledFor(c.Patient));

        var retry = await c.DoctorDevice.SendTextAsync(c.Conversation, world.Cipher, "Rendez-vous confirmé", messageId);
        var again = await c.DoctorDevice.SendTextAsync(c.Conversation, world.Cipher, "Rendez-vous confirmé", messageId);

        Assert.Equal((1L, 1L), (retry.Sequence, again.Sequence));
        await world.TheNotificationOfAsync(c.Patient);
        world.PassTheDelay();
        Assert.Single(await world.WaitForNoticesAsync(1));
        Assert.Single(world.ScheduledFor(c.Patient));
    }

    [Fact]
    public async Task ProcessDue_PatientReadTheMessageOnAConnectedDevice_SendsNothingAndCancels()
    {
        await using var world = await NotificationWorld.StartAsync();
        var c = await world.ConsultationAsync();
        var patientClient = world.ClientFor(c.PatientDevice);
        await patientClient.ConnectAsync(Scenario.Timeout());

        await c.DoctorDevice.SendTextAsync(c.Conversation, world.Cipher, "Votre rendez-vous est confirmé");
        var received = Assert.Single(await patientClient.ReceiveAsync(1));
        await Eventually.WaitAsync(
            async () => (await world.Server.Get<IMessageStore>().ReadQueueAsync(c.PatientDevice.DeviceId, null, 10, world.Clock.GetUtcNow(), Ct)).Count == 0,
            "the acknowledged copy to be deleted",
            NotificationWorld.Wait);
        var id = await world.TheNotificationOfAsync(c.Patient);
        world.PassTheDelay();
        var closed = await world.WaitForAsync(id, n => n.State != NotificationStates.Pending, "the notification to be closed");

        Assert.Equal("Votre rendez-vous est confirmé", world.Cipher.Open(received.Ciphertext));
        Assert.Equal(NotificationStates.Cancelled, closed.State);
        Assert.Equal(0, closed.Attempts);
        Assert.Empty(world.Notices());
    }

    [Fact]
    public async Task ProcessDue_StartTlsWithTrustedTestCertificate_DeliversOverTls()
    {
        await using var world = await NotificationWorld.StartAsync(startTls: true);
        var c = await world.ConsultationAsync();

        await c.DoctorDevice.SendTextAsync(c.Conversation, world.Cipher, "Votre rendez-vous est confirmé");
        var id = await world.TheNotificationOfAsync(c.Patient);
        world.PassTheDelay();
        var email = Assert.Single(await world.WaitForNoticesAsync(1));

        Assert.True(email.OverTls);
        Assert.Equal($"{id:N}@messagerie.test", email.Message.MessageId);
        Assert.Equal(NotificationStates.Sent, (await world.WaitForAsync(id, n => n.State != NotificationStates.Pending, "the notification to be closed")).State);
    }

    [Fact]
    public async Task OpenLink_ContinuePageThenPost_RedirectsToSignInOnceAndNeverSignsIn()
    {
        var window = TimeSpan.FromMinutes(5);
        var lifetime = TimeSpan.FromMinutes(10);
        await using var world = await NotificationWorld.StartAsync(new Dictionary<string, string?>
        {
            ["Messaging:Notifications:DebounceWindow"] = "00:05:00",
            ["Messaging:Notifications:LinkLifetime"] = "00:10:00",
        });
        var c = await world.ConsultationAsync();
        await c.DoctorDevice.SendTextAsync(c.Conversation, world.Cipher, "Votre rendez-vous est confirmé");
        world.PassTheDelay();
        var token = NotificationWorld.TokenIn(Assert.Single(await world.WaitForNoticesAsync(1)));

        // A second notification (after the debounce window), whose link is left unused until it expires.
        world.Clock.Advance(window);
        await c.DoctorDevice.SendTextAsync(c.Conversation, world.Cipher, "Vos résultats sont arrivés");
        world.PassTheDelay();
        var laterToken = NotificationWorld.TokenIn((await world.WaitForNoticesAsync(2))[1]);

        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = world.Server.BaseAddress };
        var page = await SendAsync(http, HttpMethod.Get, token);
        var pageAgain = await SendAsync(http, HttpMethod.Get, token);
        var pageInEnglish = await SendAsync(http, HttpMethod.Get, token, "en-GB,en;q=0.9");
        var opened = await SendAsync(http, HttpMethod.Post, token);
        var openedAgain = await SendAsync(http, HttpMethod.Post, token);
        var openedAgainInEnglish = await SendAsync(http, HttpMethod.Post, token, "en");
        var unknown = await SendAsync(http, HttpMethod.Post, "q3Jv0lK8" + new string('A', 35));
        world.Clock.Advance(lifetime + TimeSpan.FromSeconds(1));
        var expired = await SendAsync(http, HttpMethod.Post, laterToken);

        Assert.Equal((HttpStatusCode.OK, "text/html"), (page.Status, page.MediaType));
        Assert.Contains("<form method=\"post\">", page.Body, StringComparison.Ordinal);
        Assert.Contains("lang=\"fr\"", page.Body, StringComparison.Ordinal);
        Assert.Contains("Continuer", page.Body, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.OK, page.Body), (pageAgain.Status, pageAgain.Body));
        Assert.Equal(HttpStatusCode.OK, pageInEnglish.Status);
        Assert.Contains("lang=\"en\"", pageInEnglish.Body, StringComparison.Ordinal);
        Assert.Contains(">Continue<", pageInEnglish.Body, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Found, opened.Status);
        Assert.Equal($"/#/signin?conversation={c.Conversation}", opened.Location);
        Assert.Empty(opened.Cookies);
        Assert.Equal("", opened.Body);
        Assert.DoesNotContain("token", opened.Location, StringComparison.OrdinalIgnoreCase);

        foreach (var gone in new[] { openedAgain, unknown, expired })
        {
            Assert.Equal((HttpStatusCode.Gone, "text/html"), (gone.Status, gone.MediaType));
            Assert.Contains("lang=\"fr\"", gone.Body, StringComparison.Ordinal);
            Assert.Contains("Lien expiré", gone.Body, StringComparison.Ordinal);
            Assert.Null(gone.Location);
            Assert.Empty(gone.Cookies);
        }

        Assert.Equal(HttpStatusCode.Gone, openedAgainInEnglish.Status);
        Assert.Contains("lang=\"en\"", openedAgainInEnglish.Body, StringComparison.Ordinal);
        Assert.Contains("Link expired", openedAgainInEnglish.Body, StringComparison.Ordinal);
        await world.Server.AssertAuditedAsync("notification.link", AuditOutcomes.Success, c.Patient.AccountId);
        await world.Server.AssertAuditedAsync("notification.link", AuditOutcomes.Denied, c.Patient.AccountId);
    }

    [Fact]
    public async Task ProcessDue_PatientWithdrewConsentBeforeDue_SendsNothingAndCancels()
    {
        await using var world = await NotificationWorld.StartAsync();
        var c = await world.ConsultationAsync();
        await c.DoctorDevice.SendTextAsync(c.Conversation, world.Cipher, "Votre rendez-vous est confirmé");
        var id = await world.TheNotificationOfAsync(c.Patient);

        var signedIn = await world.Scenario.Api.SignInAsync(c.Patient.Login, c.Patient.Password, Ct);
        await world.Scenario.Api.WithdrawConsentAsync(signedIn.AccessToken, Ct);
        world.PassTheDelay();
        var closed = await world.WaitForAsync(id, n => n.State != NotificationStates.Pending, "the notification to be closed");

        Assert.Equal(NotificationStates.Cancelled, closed.State);
        Assert.Equal(0, closed.Attempts);
        Assert.Empty(world.Notices());
    }

    private static async Task<LinkAnswer> SendAsync(HttpClient http, HttpMethod method, string token, string? acceptLanguage = null)
    {
        using var request = new HttpRequestMessage(method, new Uri($"/n/{token}", UriKind.Relative));
        if (acceptLanguage is not null)
        {
            request.Headers.Add("Accept-Language", acceptLanguage);
        }

        if (method == HttpMethod.Post)
        {
            request.Content = new FormUrlEncodedContent([]);
        }

        using var response = await http.SendAsync(request, Ct);
        return new LinkAnswer(
            response.StatusCode,
            response.Content.Headers.ContentType?.MediaType,
            response.Headers.Location?.OriginalString,
            response.Headers.TryGetValues("Set-Cookie", out var cookies) ? [.. cookies] : [],
            WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync(Ct)));
    }

    /// <summary>An answer to a link, its body HTML-decoded (the page writes "é" as "&amp;#233;").</summary>
    private sealed record LinkAnswer(HttpStatusCode Status, string? MediaType, string? Location, IReadOnlyList<string> Cookies, string Body);
}
