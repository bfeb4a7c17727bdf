using System.Diagnostics;
using System.Net;
using Messaging.Contracts;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Notifications;
using Messaging.Server.Tests.Features.Accounts;
using Messaging.Testing;

namespace Messaging.Server.Tests.Features.Notifications;

/// <summary>
/// Patient notifications when sending fails or is cut off (docs/notifications.md): retries with backoff, dead letters,
/// a restart in the middle of a send, a send that would outlast its lease. The real server on loopback with a SQLite
/// file, a real SMTP server on loopback, and a clock the test moves for due times.
/// </summary>
public sealed class NotificationFailureTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ProcessDue_SmtpDown_RetriesWithDoublingBackoffThenSendsOnceWhenItIsBack()
    {
        var first = TimeSpan.FromMinutes(1);
        await using var world = await NotificationWorld.StartAsync(new Dictionary<string, string?> { ["Messaging:Notifications:FirstRetryDelay"] = "00:01:00" });
        var c = await world.ConsultationAsync();
        await c.DoctorDevice.SendTextAsync(c.Conversation, world.Cipher, "Votre rendez-vous est confirmé");
        var id = await world.TheNotificationOfAsync(c.Patient);
        await world.Smtp.StopAsync();

        world.PassTheDelay();
        var firstAttemptAt = world.Clock.GetUtcNow();
        var afterFirst = await world.WaitForAsync(id, n => n.Attempts == 1, "a first failed attempt");
        world.Clock.Advance(afterFirst.DueAt - world.Clock.GetUtcNow());
        var secondAttemptAt = world.Clock.GetUtcNow();
        var afterSecond = await world.WaitForAsync(id, n => n.Attempts == 2, "a second failed attempt");
        Assert.Empty(world.Notices());

        await world.Smtp.RestartAsync();
        world.Clock.Advance(afterSecond.DueAt - world.Clock.GetUtcNow());
        var email = Assert.Single(await world.WaitForNoticesAsync(1));
        var sent = await world.WaitForAsync(id, n => n.State != NotificationStates.Pending, "the notification to be closed");
        world.Clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(0, await world.PollNowAsync());

        Assert.All(new[] { afterFirst, afterSecond }, n => Assert.Equal((NotificationStates.Pending, "smtp-unavailable", (DateTimeOffset?)null), (n.State, n.LastError, n.LeaseUntil)));
        var firstWait = afterFirst.DueAt - firstAttemptAt;
        var secondWait = afterSecond.DueAt - secondAttemptAt;
        Assert.InRange(firstWait, first, first * 1.2);
        Assert.InRange(secondWait, first * 2, first * 2 * 1.2);
        Assert.InRange(secondWait / firstWait, 2 / 1.2, 2 * 1.2);
        Assert.Equal((NotificationStates.Sent, 3), (sent.State, sent.Attempts));
        Assert.Equal($"{id:N}@messagerie.test", email.Message.MessageId);
        Assert.Single(world.Notices());
    }

    [Fact]
    public async Task ProcessDue_LastAttemptFails_IsDeadAndListedForThePracticeAdminsOnly()
    {
        await using var world = await NotificationWorld.StartAsync(new Dictionary<string, string?> { ["Messaging:Notifications:MaxAttempts"] = "2" });
        var c = await world.ConsultationAsync();
        await c.DoctorDevice.SendTextAsync(c.Conversation, world.Cipher, "Votre rendez-vous est confirmé");
        var id = await world.TheNotificationOfAsync(c.Patient);
        await world.Smtp.StopAsync();

        world.PassTheDelay();
        var afterFirst = await world.WaitForAsync(id, n => n.Attempts == 1, "a first failed attempt");
        world.Clock.Advance(afterFirst.DueAt - world.Clock.GetUtcNow());
        var dead = await world.WaitForAsync(id, n => n.State != NotificationStates.Pending, "the notification to be given up");
        using var http = new HttpClient { BaseAddress = world.Server.BaseAddress };
        var route = Routes.PracticeDeadNotifications(world.Scenario.Practice);
        var asAdmin = await http.CallAsync(HttpMethod.Get, route, await world.Scenario.FreshTokenAsync(world.Scenario.Admin, cancellationToken: Ct));
        var asDoctor = await http.CallAsync(HttpMethod.Get, route, await world.Scenario.FreshTokenAsync(c.Doctor, cancellationToken: Ct));

        Assert.Equal((NotificationStates.Dead, 2, "smtp-unavailable"), (dead.State, dead.Attempts, dead.LastError));
        Assert.NotNull(dead.ClosedAt);
        Assert.Equal(HttpStatusCode.OK, asAdmin.Status);
        var listed = Assert.Single(asAdmin.Read<DeadNotification[]>());
        Assert.Equal((id, c.Patient.AccountId, 2, "smtp-unavailable"), (listed.NotificationId, listed.PatientAccountId, listed.Attempts, listed.LastError));
        Assert.Equal(dead.ClosedAt!.Value.ToUnixTimeMilliseconds(), listed.GivenUpAtUnixMs);
        Assert.DoesNotContain("@", asAdmin.Body, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.Forbidden), (asDoctor.Status, asDoctor.Code));
        Assert.DoesNotContain(id.ToString(), asDoctor.Body, StringComparison.OrdinalIgnoreCase);
        await world.Server.AssertAuditedAsync("notification.dead-letters", AuditOutcomes.Denied, c.Doctor.AccountId, ErrorCodes.Forbidden);
        await world.Server.AssertAuditedAsync("notification.dead", AuditOutcomes.Denied, c.Patient.AccountId, "smtp-unavailable");
        Assert.Empty(world.Notices());
    }

    [Fact]
    public async Task ProcessDue_ServerRestartsInTheMiddleOfASend_SendsExactlyOnce()
    {
        await using var world = await NotificationWorld.StartAsync();
        var c = await world.ConsultationAsync();
        await c.DoctorDevice.SendTextAsync(c.Conversation, world.Cipher, "Votre rendez-vous est confirmé");
        var id = await world.TheNotificationOfAsync(c.Patient);

        // The sender connects and is left waiting for the answer to RCPT TO: in the middle of its transaction, before DATA.
        world.Smtp.HoldRecipients();
        world.PassTheDelay();
        await world.Smtp.WaitForHeldRecipientsAsync(1, NotificationWorld.Wait);
        var inFlight = await world.FindAsync(id);
        var restarting = Stopwatch.StartNew();
        await world.Server.RestartAsync();
        var restart = restarting.Elapsed;
        world.Smtp.ReleaseRecipients();

        // The cut-off transaction ends without a message; the notification waits for its lease to end, then goes once.
        await world.Smtp.WaitForNoOpenSessionAsync(NotificationWorld.Wait);
        Assert.Empty(world.Notices());
        Assert.Equal(NotificationStates.Pending, (await world.FindAsync(id)).State);
        world.Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        var email = Assert.Single(await world.WaitForNoticesAsync(1));
        var sent = await world.WaitForAsync(id, n => n.State != NotificationStates.Pending, "the notification to be closed");
        world.Clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(0, await world.PollNowAsync());
        await world.Smtp.WaitForNoOpenSessionAsync(NotificationWorld.Wait);

        Assert.Equal(NotificationStates.Pending, inFlight.State);
        Assert.NotNull(inFlight.LeaseUntil);
        Assert.Equal(1, world.Smtp.HeldRecipients);

        // The stop cancelled the send rather than waiting for it (until the 20 s SMTP timeout or the host's 30 s).
        Assert.True(restart < TimeSpan.FromSeconds(15), $"The restart took {restart}.");
        Assert.Equal(NotificationStates.Sent, sent.State);
        Assert.Equal($"{id:N}@messagerie.test", email.Message.MessageId);
        Assert.Single(world.Notices());
    }

    [Fact]
    public async Task ProcessDue_SendOutlastingTheLease_IsCutOffAndTheBatchsRestIsLeftToTheLeasesEnd()
    {
        // A short lease (real seconds, yet long enough for the first send to reach RCPT TO on a loaded machine): each
        // send must be over a quarter of the lease before it ends, and a send is started only with another quarter
        // left. Without those bounds the held send would run to the 20 s SMTP timeout, and the batch's second
        // notification would then be sent while another node could be sending it.
        var lease = TimeSpan.FromSeconds(8);
        await using var world = await NotificationWorld.StartAsync(new Dictionary<string, string?> { ["Messaging:Notifications:Lease"] = "00:00:08" });
        var first = await world.ConsultationAsync();
        var second = await world.ConsultationAsync();
        await first.DoctorDevice.SendTextAsync(first.Conversation, world.Cipher, "Votre rendez-vous est confirmé");
        await second.DoctorDevice.SendTextAsync(second.Conversation, world.Cipher, "Votre rendez-vous est déplacé");
        Guid[] ids = [await world.TheNotificationOfAsync(first.Patient), await world.TheNotificationOfAsync(second.Patient)];

        // Both come due at once and are leased in one batch; the first send is left waiting for the answer to RCPT TO.
        world.Smtp.HoldRecipients();
        world.PassTheDelay();
        var leasedAt = world.Clock.GetUtcNow();
        await world.Smtp.WaitForHeldRecipientsAsync(1, NotificationWorld.Wait);
        await Eventually.WaitAsync(
            () => world.Server.Logs.Lines.Any(l => l.Contains("used up the notifications' lease: 1 left", StringComparison.Ordinal)),
            "the round to leave the rest of its batch", NotificationWorld.Wait);
        var afterRound = await Task.WhenAll(ids.Select(world.FindAsync));
        var cut = Assert.Single(afterRound, n => n.Attempts == 1);
        var left = Assert.Single(afterRound, n => n.Attempts == 0);
        world.Smtp.ReleaseRecipients();
        await world.Smtp.WaitForNoOpenSessionAsync(NotificationWorld.Wait);
        Assert.Empty(world.Notices());

        // The one left goes once its lease is over; the one cut off at its retry time.
        world.Clock.Advance(lease + TimeSpan.FromSeconds(1));
        var leftSent = await world.WaitForAsync(left.Id, n => n.State != NotificationStates.Pending, "the notification left to its lease to be sent");
        world.Clock.Advance(cut.DueAt - world.Clock.GetUtcNow());
        var cutSent = await world.WaitForAsync(cut.Id, n => n.State != NotificationStates.Pending, "the notification cut off to be sent");

        Assert.Equal((NotificationStates.Pending, "smtp-timeout", (DateTimeOffset?)null), (cut.State, cut.LastError, cut.LeaseUntil));
        Assert.True(cut.DueAt > leasedAt, "The cut-off send is retried later, after the first retry delay.");
        Assert.Equal(NotificationStates.Pending, left.State);
        Assert.NotNull(left.LeaseUntil);
        Assert.Equal(1, world.Smtp.HeldRecipients);
        Assert.Equal((NotificationStates.Sent, 1), (leftSent.State, leftSent.Attempts));
        Assert.Equal((NotificationStates.Sent, 2), (cutSent.State, cutSent.Attempts));
        Assert.Single(world.NoticesTo(first.Patient));
        Assert.Single(world.NoticesTo(second.Patient));
    }
}
