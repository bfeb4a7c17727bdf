using Messaging.Server.Features.Audit;

namespace Messaging.Server.Tests.Storage;

public abstract partial class StoreContractTests
{
    [Fact]
    public async Task AuditListRecent_SeveralEvents_ReturnsNewestFirstUpToLimit()
    {
        var (account, device) = (Guid.NewGuid(), Guid.NewGuid());
        var oldest = new AuditEvent(Guid.NewGuid(), T0, "login", AuditOutcomes.Denied, null, null, null, "bad-password", 1);
        var newest = new AuditEvent(Guid.NewGuid(), T0.AddMinutes(2), "device.revoke", AuditOutcomes.Success, account, device, "device:1", null, 1);
        var middle = new AuditEvent(Guid.NewGuid(), T0.AddMinutes(1), "login", AuditOutcomes.Success, account, null, null, null, 1);
        foreach (var auditEvent in new[] { oldest, newest, middle })
        {
            await Stores.Audit.AppendAsync(auditEvent, Ct);
        }

        Assert.Equal([newest, middle], await Stores.Audit.ListRecentAsync(2, Ct));
        Assert.Equal([newest, middle, oldest], await Stores.Audit.ListRecentAsync(10, Ct));
    }

    [Fact]
    public async Task AuditListRecent_SameTime_OrdersByIdDescending()
    {
        var ids = SortedIds(3);
        foreach (var id in new[] { ids[1], ids[2], ids[0] })
        {
            await Stores.Audit.AppendAsync(new AuditEvent(id, T0, "login", AuditOutcomes.Success, null, null, null, null, 1), Ct);
        }

        Assert.Equal([ids[2], ids[1], ids[0]], (await Stores.Audit.ListRecentAsync(3, Ct)).Select(e => e.Id));
    }

    [Fact]
    public async Task AuditAppend_RowStandingForSeveralRefusals_ReadsBackItsOccurrences()
    {
        var counted = new AuditEvent(
            Guid.CreateVersion7(), T0, "http.request", AuditOutcomes.Denied, null, null, "POST /api/sessions", "rate-limited", 41);
        await Stores.Audit.AppendAsync(counted, Ct);

        Assert.Equal([counted], await Stores.Audit.ListRecentAsync(5, Ct));
    }

    [Fact]
    public async Task AuditPurgeBefore_EventsOnBothSides_DeletesOnlyTheOlderOnes()
    {
        var events = Enumerable.Range(0, 4)
            .Select(i => new AuditEvent(Guid.CreateVersion7(), T0.AddDays(i), "login", AuditOutcomes.Success, null, null, null, null, 1))
            .ToList();
        foreach (var auditEvent in events)
        {
            await Stores.Audit.AppendAsync(auditEvent, Ct);
        }

        Assert.Equal(2, await Stores.Audit.PurgeBeforeAsync(T0.AddDays(2), Ct)); // the event at exactly the limit stays
        Assert.Equal([events[3], events[2]], await Stores.Audit.ListRecentAsync(10, Ct));
        Assert.Equal(0, await Stores.Audit.PurgeBeforeAsync(T0.AddDays(2), Ct));
    }

    [Fact]
    public async Task StoreHealthIsReady_FreshDatabase_ReturnsTrue()
    {
        Assert.True(await Stores.Health.IsReadyAsync(Ct));
    }
}
