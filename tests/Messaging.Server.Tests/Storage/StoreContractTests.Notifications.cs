using Messaging.Server.Features.Notifications;

namespace Messaging.Server.Tests.Storage;

public abstract partial class StoreContractTests
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    private static Notification NewNotification(Guid? patient = null, DateTimeOffset? createdAt = null, DateTimeOffset? dueAt = null) =>
        new(Guid.NewGuid(), patient ?? Guid.NewGuid(), Guid.NewGuid(), createdAt ?? T0, dueAt ?? createdAt ?? T0);

    private async Task<Notification> ScheduledAsync(Guid? patient = null, DateTimeOffset? createdAt = null, DateTimeOffset? dueAt = null)
    {
        var notification = NewNotification(patient, createdAt, dueAt);
        Assert.True(await Stores.Notifications.TryScheduleAsync(notification, Debounce, Ct));
        return notification;
    }

    private Task<IReadOnlyList<Notification>> LeaseAsync(DateTimeOffset now, int max = 100) =>
        Stores.Notifications.LeaseDueAsync(now, Lease, max, Ct);

    private static NotificationLink NewLink(string token, DateTimeOffset? expiresAt = null) =>
        new(Bytes("link:" + token), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), expiresAt ?? T0.AddDays(7));

    private static void AssertSameLink(NotificationLink expected, NotificationLink? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.TokenHash, actual.TokenHash);
        Assert.Equal(expected.NotificationId, actual.NotificationId);
        Assert.Equal(expected.PatientAccountId, actual.PatientAccountId);
        Assert.Equal(expected.ConversationId, actual.ConversationId);
        Assert.Equal(expected.ExpiresAt, actual.ExpiresAt);
        Assert.Equal(expected.UsedAt, actual.UsedAt);
        Assert.Equal(TimeSpan.Zero, actual.ExpiresAt.Offset);
    }

    [Fact]
    public async Task NotificationSchedule_EveryDetail_FindReturnsItAndUnknownIsNull()
    {
        var full = NewNotification(createdAt: T0, dueAt: T0.AddMinutes(5)) with
        {
            State = NotificationStates.Dead,
            Attempts = 3,
            LeaseUntil = T0.AddMinutes(7),
            LastError = "smtp-timeout",
            ClosedAt = T0.AddHours(1),
        };
        Assert.True(await Stores.Notifications.TryScheduleAsync(full, Debounce, Ct));
        var bare = await ScheduledAsync(dueAt: T0.AddTicks(1));

        var found = await Stores.Notifications.FindAsync(full.Id, Ct);
        Assert.Equal(full, found);
        Assert.Equal(TimeSpan.Zero, found!.DueAt.Offset);
        Assert.Equal(bare, await Stores.Notifications.FindAsync(bare.Id, Ct));
        Assert.Null(await Stores.Notifications.FindAsync(Guid.NewGuid(), Ct));
    }

    [Fact]
    public async Task NotificationSchedule_WithinTheWindow_IsRefusedAndExactlyWindowOldIsNot()
    {
        var patient = Guid.NewGuid();
        var first = await ScheduledAsync(patient, T0);
        var tooSoon = NewNotification(patient, T0 + Debounce - TimeSpan.FromTicks(1));

        Assert.False(await Stores.Notifications.TryScheduleAsync(tooSoon, Debounce, Ct));
        Assert.Null(await Stores.Notifications.FindAsync(tooSoon.Id, Ct));
        await ScheduledAsync(Guid.NewGuid(), T0.AddMinutes(1));
        var onTime = await ScheduledAsync(patient, T0 + Debounce);

        Assert.Equal(first, await Stores.Notifications.FindAsync(first.Id, Ct));
        Assert.Equal(onTime, await Stores.Notifications.FindAsync(onTime.Id, Ct));
    }

    [Fact]
    public async Task NotificationSchedule_AfterCancelledOrDead_IsAcceptedAndAfterSentIsRefused()
    {
        var patient = Guid.NewGuid();
        var cancelled = await ScheduledAsync(patient, T0);
        await Stores.Notifications.CloseAsync(cancelled.Id, NotificationStates.Cancelled, 0, null, T0.AddMinutes(1), Ct);
        var dead = await ScheduledAsync(patient, T0.AddMinutes(2));
        await Stores.Notifications.CloseAsync(dead.Id, NotificationStates.Dead, 5, "smtp-refused", T0.AddMinutes(3), Ct);
        var sent = await ScheduledAsync(patient, T0.AddMinutes(4));
        await Stores.Notifications.CloseAsync(sent.Id, NotificationStates.Sent, 1, null, T0.AddMinutes(5), Ct);

        Assert.False(await Stores.Notifications.TryScheduleAsync(NewNotification(patient, T0.AddMinutes(6)), Debounce, Ct));
        await ScheduledAsync(patient, T0.AddMinutes(4) + Debounce);
    }

    [Fact]
    public async Task NotificationSchedule_TwentyInParallelForOnePatient_StoresExactlyOne()
    {
        var patient = Guid.NewGuid();
        var candidates = Enumerable.Range(0, 20).Select(i => NewNotification(patient, T0.AddSeconds(i))).ToArray();

        var results = await Task.WhenAll(candidates.Select(n =>
            Task.Run(() => Stores.Notifications.TryScheduleAsync(n, Debounce, Ct), Ct)));

        Assert.Single(results, stored => stored);
        for (var i = 0; i < candidates.Length; i++)
        {
            var found = await Stores.Notifications.FindAsync(candidates[i].Id, Ct);
            Assert.Equal(results[i] ? candidates[i] : null, found);
        }
    }

    [Fact]
    public async Task NotificationLeaseDue_Mixed_LeasesOnlyDueFreePendingOnesOldestFirst()
    {
        var now = T0.AddMinutes(10);
        var second = await ScheduledAsync(dueAt: T0.AddMinutes(2));
        var first = await ScheduledAsync(dueAt: T0.AddMinutes(1));
        var third = await ScheduledAsync(dueAt: now);
        var notYet = await ScheduledAsync(dueAt: now.AddTicks(1));
        var sent = await ScheduledAsync(dueAt: T0);
        await Stores.Notifications.CloseAsync(sent.Id, NotificationStates.Sent, 0, null, T0, Ct);

        var batch = await LeaseAsync(now, max: 2);
        var rest = await LeaseAsync(now);

        var until = now + Lease;
        Assert.Equal([first with { LeaseUntil = until }, second with { LeaseUntil = until }], batch);
        Assert.Equal([third with { LeaseUntil = until }], rest);
        Assert.Empty(await LeaseAsync(now));
        Assert.Equal(third with { LeaseUntil = until }, await Stores.Notifications.FindAsync(third.Id, Ct));
        Assert.Equal(notYet, await Stores.Notifications.FindAsync(notYet.Id, Ct));
        Assert.Empty(await LeaseAsync(now, max: 0));
    }

    [Fact]
    public async Task NotificationLeaseDue_LeaseOver_IsTakenAgain()
    {
        var notification = await ScheduledAsync(dueAt: T0);
        Assert.Single(await LeaseAsync(T0));
        Assert.Empty(await LeaseAsync(T0 + Lease - TimeSpan.FromTicks(1)));

        var again = await LeaseAsync(T0 + Lease);

        Assert.Equal([notification with { LeaseUntil = T0 + Lease + Lease }], again);
    }

    [Fact]
    public async Task NotificationLeaseDue_TwentyInParallel_NeverLeaseOneTwice()
    {
        var scheduled = new HashSet<Guid>();
        for (var i = 0; i < 30; i++)
        {
            scheduled.Add((await ScheduledAsync(dueAt: T0.AddSeconds(i % 7))).Id);
        }

        var batches = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            Task.Run(() => LeaseAsync(T0.AddMinutes(1), max: 5), Ct)));

        var leased = batches.SelectMany(b => b).Select(n => n.Id).ToList();
        Assert.Equal(leased.Count, leased.Distinct().Count());
        Assert.Equal(scheduled.Order(), leased.Order());
        Assert.All(batches, b => Assert.True(b.Count <= 5));
    }

    [Fact]
    public async Task NotificationClose_Pending_ClosesOnceAndClearsTheLease()
    {
        var notification = await ScheduledAsync(dueAt: T0);
        Assert.Single(await LeaseAsync(T0));

        await Stores.Notifications.CloseAsync(notification.Id, NotificationStates.Dead, 4, "smtp-timeout", T0.AddMinutes(1), Ct);
        await Stores.Notifications.CloseAsync(notification.Id, NotificationStates.Sent, 5, null, T0.AddMinutes(2), Ct);
        await Stores.Notifications.RescheduleAsync(notification.Id, 6, "smtp-refused", T0.AddMinutes(3), Ct);

        var closed = notification with { State = NotificationStates.Dead, Attempts = 4, LastError = "smtp-timeout", ClosedAt = T0.AddMinutes(1) };
        Assert.Equal(closed, await Stores.Notifications.FindAsync(notification.Id, Ct));
        Assert.Empty(await LeaseAsync(T0.AddHours(1)));
        await Assert.ThrowsAnyAsync<ArgumentException>(() =>
            Stores.Notifications.CloseAsync(notification.Id, NotificationStates.Pending, 0, null, T0, Ct));
    }

    [Fact]
    public async Task NotificationReschedule_Leased_StaysPendingAndComesDueAgainLater()
    {
        var notification = await ScheduledAsync(dueAt: T0);
        Assert.Single(await LeaseAsync(T0));

        await Stores.Notifications.RescheduleAsync(notification.Id, 1, "smtp-timeout", T0.AddMinutes(30), Ct);

        var rescheduled = notification with { Attempts = 1, LastError = "smtp-timeout", DueAt = T0.AddMinutes(30) };
        Assert.Equal(rescheduled, await Stores.Notifications.FindAsync(notification.Id, Ct));
        Assert.Empty(await LeaseAsync(T0.AddMinutes(29)));
        Assert.Equal([rescheduled with { LeaseUntil = T0.AddMinutes(30) + Lease }], await LeaseAsync(T0.AddMinutes(30)));
    }

    [Fact]
    public async Task NotificationListDead_SeveralPatients_OnlyTheirDeadOnesNewestFirstUpToTheLimit()
    {
        var (alice, bob, carol) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        async Task<Notification> ClosedAsync(Guid patient, int hour, string state)
        {
            var n = await ScheduledAsync(patient, T0.AddHours(hour));
            await Stores.Notifications.CloseAsync(n.Id, state, 5, "smtp-refused", T0.AddHours(hour).AddMinutes(1), Ct);
            return (await Stores.Notifications.FindAsync(n.Id, Ct))!;
        }

        var aliceOld = await ClosedAsync(alice, 1, NotificationStates.Dead);
        var bobNew = await ClosedAsync(bob, 3, NotificationStates.Dead);
        var aliceNew = await ClosedAsync(alice, 2, NotificationStates.Dead);
        await ClosedAsync(carol, 4, NotificationStates.Dead);
        await ClosedAsync(alice, 5, NotificationStates.Sent);
        await ScheduledAsync(bob, T0.AddDays(1));

        Assert.Equal([bobNew, aliceNew, aliceOld], await Stores.Notifications.ListDeadAsync([alice, bob], 10, Ct));
        Assert.Equal([bobNew, aliceNew], await Stores.Notifications.ListDeadAsync([alice, bob], 2, Ct));
        Assert.Empty(await Stores.Notifications.ListDeadAsync([], 10, Ct));
        Assert.Empty(await Stores.Notifications.ListDeadAsync([Guid.NewGuid()], 10, Ct));
    }

    [Fact]
    public async Task NotificationLinkSave_SameHashTwice_KeepsTheFirst()
    {
        var first = NewLink("same");
        await Stores.Notifications.SaveLinkAsync(first, Ct);

        await Stores.Notifications.SaveLinkAsync(NewLink("same", T0.AddDays(30)), Ct);

        AssertSameLink(first, await Stores.Notifications.UseLinkAsync(first.TokenHash, T0, Ct));
        Assert.Null(await Stores.Notifications.UseLinkAsync(Bytes("link:unknown"), T0, Ct));
    }

    [Fact]
    public async Task NotificationLinkUse_Unused_MarksItOnceAndLaterUsesSeeItUsed()
    {
        var link = NewLink("once");
        await Stores.Notifications.SaveLinkAsync(link, Ct);

        var first = await Stores.Notifications.UseLinkAsync(link.TokenHash, T0.AddHours(1), Ct);
        var second = await Stores.Notifications.UseLinkAsync(link.TokenHash, T0.AddHours(2), Ct);
        var third = await Stores.Notifications.UseLinkAsync(link.TokenHash, T0.AddHours(3), Ct);

        AssertSameLink(link, first);
        AssertSameLink(link with { UsedAt = T0.AddHours(1) }, second);
        AssertSameLink(link with { UsedAt = T0.AddHours(1) }, third);
    }

    [Fact]
    public async Task NotificationLinkUse_AtOrAfterExpiry_ReturnsItUnmarked()
    {
        var link = NewLink("expiring");
        await Stores.Notifications.SaveLinkAsync(link, Ct);

        AssertSameLink(link, await Stores.Notifications.UseLinkAsync(link.TokenHash, link.ExpiresAt.AddDays(1), Ct));
        AssertSameLink(link, await Stores.Notifications.UseLinkAsync(link.TokenHash, link.ExpiresAt, Ct));

        // Not marked by the refused uses: just before expiry it is still usable, once.
        var justBefore = link.ExpiresAt.AddMilliseconds(-1);
        AssertSameLink(link, await Stores.Notifications.UseLinkAsync(link.TokenHash, justBefore, Ct));
        AssertSameLink(link with { UsedAt = justBefore }, await Stores.Notifications.UseLinkAsync(link.TokenHash, justBefore, Ct));
    }

    [Fact]
    public async Task NotificationLinkUse_TwentyInParallel_ExactlyOneFindsItUnused()
    {
        var link = NewLink("raced");
        await Stores.Notifications.SaveLinkAsync(link, Ct);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            Task.Run(() => Stores.Notifications.UseLinkAsync(link.TokenHash, T0.AddMinutes(1), Ct), Ct)));

        Assert.Single(results, r => r!.UsedAt is null);
        Assert.Equal(19, results.Count(r => r!.UsedAt == T0.AddMinutes(1)));
    }

    [Fact]
    public async Task NotificationLinkPurgeExpired_ExpiredAndLiveLinks_DeletesOnlyTheExpired()
    {
        var expired = NewLink("expired", T0.AddDays(1));
        var live = NewLink("live", T0.AddDays(3));
        await Stores.Notifications.SaveLinkAsync(expired, Ct);
        await Stores.Notifications.SaveLinkAsync(live, Ct);

        Assert.Equal(1, await Stores.Notifications.PurgeExpiredLinksAsync(T0.AddDays(2), Ct));

        Assert.Null(await Stores.Notifications.UseLinkAsync(expired.TokenHash, T0.AddDays(2), Ct));
        AssertSameLink(live, await Stores.Notifications.UseLinkAsync(live.TokenHash, T0.AddDays(2), Ct));
        Assert.Equal(0, await Stores.Notifications.PurgeExpiredLinksAsync(T0.AddDays(2), Ct));
    }

    [Fact]
    public async Task NotificationPurgeClosedBefore_ClosedLongAgoRecentlyAndPending_DeletesOnlyTheLongClosed()
    {
        var sentLongAgo = await ScheduledAsync();
        var deadLongAgo = await ScheduledAsync();
        var deadRecently = await ScheduledAsync();
        var pending = await ScheduledAsync();
        await Stores.Notifications.CloseAsync(sentLongAgo.Id, NotificationStates.Sent, 1, null, T0.AddMinutes(1), Ct);
        await Stores.Notifications.CloseAsync(deadLongAgo.Id, NotificationStates.Dead, 5, "smtp-refused", T0.AddMinutes(2), Ct);
        await Stores.Notifications.CloseAsync(deadRecently.Id, NotificationStates.Dead, 5, "smtp-refused", T0.AddDays(2), Ct);

        Assert.Equal(2, await Stores.Notifications.PurgeClosedBeforeAsync(T0.AddDays(1), Ct));

        Assert.Null(await Stores.Notifications.FindAsync(sentLongAgo.Id, Ct));
        Assert.Null(await Stores.Notifications.FindAsync(deadLongAgo.Id, Ct));
        Assert.Equal(NotificationStates.Dead, (await Stores.Notifications.FindAsync(deadRecently.Id, Ct))!.State);
        Assert.Equal(NotificationStates.Pending, (await Stores.Notifications.FindAsync(pending.Id, Ct))!.State);
    }
}
