using Messaging.Server.Features.Delivery;

namespace Messaging.Server.Tests.Storage;

public abstract partial class StoreContractTests
{
    [Fact]
    public async Task MessageReadQueue_CopiesQueued_ReturnsThemInOrderWithAllFields()
    {
        var (sender, recipient) = (Guid.NewGuid(), Guid.NewGuid());
        var conversation = await NewConversationAsync(Guid.NewGuid(), Guid.NewGuid());
        var first = Batch(conversation, sender, T0, (recipient, "one"));
        await AppendStoredAsync(first);
        await AppendStoredAsync(Batch(conversation, sender, T0.AddSeconds(1), (recipient, "two")));

        var queue = await ReadAllAsync(recipient, T0);

        Assert.Equal(["one", "two"], queue.Select(Text));
        var copy = queue[0];
        Assert.Equal(
            (recipient, conversation, first.MessageId, 1L, SenderAccount, sender, T0),
            (copy.DeviceId, copy.ConversationId, copy.MessageId, copy.Sequence, copy.SenderAccountId, copy.SenderDeviceId, copy.AcceptedAt));
        Assert.Equal(new QueuePosition(T0.UtcTicks, conversation, 1), copy.Position);
    }

    [Fact]
    public async Task MessageReadQueue_PagedWithAfter_ReturnsEachCopyOnce()
    {
        var (sender, recipient) = (Guid.NewGuid(), Guid.NewGuid());
        var conversation = await NewConversationAsync(Guid.NewGuid(), Guid.NewGuid());
        for (var i = 0; i < 5; i++)
        {
            await AppendStoredAsync(Batch(conversation, sender, T0.AddSeconds(i), (recipient, $"m{i}")));
        }

        var page1 = await Stores.Messages.ReadQueueAsync(recipient, null, 2, T0, Ct);
        var page2 = await Stores.Messages.ReadQueueAsync(recipient, page1[^1].Position, 2, T0, Ct);
        var page3 = await Stores.Messages.ReadQueueAsync(recipient, page2[^1].Position, 2, T0, Ct);
        var page4 = await Stores.Messages.ReadQueueAsync(recipient, page3[^1].Position, 2, T0, Ct);

        Assert.Equal(["m0", "m1"], page1.Select(Text));
        Assert.Equal(["m2", "m3"], page2.Select(Text));
        Assert.Equal(["m4"], page3.Select(Text));
        Assert.Empty(page4);
    }

    [Fact]
    public async Task MessageReadQueue_SameEnqueueTimeAcrossConversations_OrdersByConversationThenPages()
    {
        var (sender, recipient) = (Guid.NewGuid(), Guid.NewGuid());
        var ids = SortedIds(2);
        foreach (var id in ids)
        {
            await Stores.Conversations.CreateAsync(new(id, sender, [Guid.NewGuid()], T0), Ct);
        }

        await AppendStoredAsync(Batch(ids[1], sender, T0, (recipient, "high-1")));
        await AppendStoredAsync(Batch(ids[0], sender, T0, (recipient, "low-1")));
        await AppendStoredAsync(Batch(ids[1], sender, T0, (recipient, "high-2")));

        var all = await ReadAllAsync(recipient, T0);
        Assert.Equal(["low-1", "high-1", "high-2"], all.Select(Text));
        var afterFirst = await Stores.Messages.ReadQueueAsync(recipient, all[0].Position, 1, T0, Ct);
        Assert.Equal(["high-1"], afterFirst.Select(Text));
        var afterSecond = await Stores.Messages.ReadQueueAsync(recipient, afterFirst[0].Position, 10, T0, Ct);
        Assert.Equal(["high-2"], afterSecond.Select(Text));
    }

    [Fact]
    public async Task MessageReadQueue_OtherDevice_SeesOnlyItsOwnCopies()
    {
        var (sender, phone, laptop, stranger) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var conversation = await NewConversationAsync(Guid.NewGuid(), Guid.NewGuid());
        await AppendStoredAsync(Batch(conversation, sender, T0, (phone, "for phone"), (laptop, "for laptop")));
        await AppendStoredAsync(Batch(conversation, sender, T0.AddSeconds(1), (laptop, "laptop only")));

        Assert.Equal(["for phone"], (await ReadAllAsync(phone, T0)).Select(Text));
        Assert.Equal(["for laptop", "laptop only"], (await ReadAllAsync(laptop, T0)).Select(Text));
        Assert.Empty(await ReadAllAsync(stranger, T0));
    }

    [Fact]
    public async Task MessageReadQueue_ExpiredCopies_AreNotReturned()
    {
        var (sender, recipient) = (Guid.NewGuid(), Guid.NewGuid());
        var conversation = await NewConversationAsync(Guid.NewGuid(), Guid.NewGuid());
        var now = T0.AddDays(1);
        await AppendStoredAsync(Batch(conversation, Guid.NewGuid(), sender, T0, now.AddTicks(-1), (recipient, "expired before")));
        await AppendStoredAsync(Batch(conversation, Guid.NewGuid(), sender, T0, now, (recipient, "expires now")));
        await AppendStoredAsync(Batch(conversation, Guid.NewGuid(), sender, T0, now.AddTicks(1), (recipient, "still live")));

        Assert.Equal(["still live"], (await ReadAllAsync(recipient, now)).Select(Text));
        Assert.Equal(3, (await ReadAllAsync(recipient, T0)).Count);
    }

    [Fact]
    public async Task MessageDeleteCopies_SomeQueued_ReturnsCountAndSecondDeleteReturnsZero()
    {
        var (sender, phone, laptop) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var conversation = await NewConversationAsync(Guid.NewGuid(), Guid.NewGuid());
        var one = Batch(conversation, sender, T0, (phone, "one"), (laptop, "one"));
        var two = Batch(conversation, sender, T0.AddSeconds(1), (phone, "two"), (laptop, "two"));
        var three = Batch(conversation, sender, T0.AddSeconds(2), (phone, "three"));
        foreach (var batch in new[] { one, two, three })
        {
            await AppendStoredAsync(batch);
        }

        CopyRef[] acknowledged = [new(conversation, one.MessageId), new(conversation, two.MessageId), new(conversation, one.MessageId), new(conversation, Guid.NewGuid())];

        Assert.Equal(2, await Stores.Messages.DeleteCopiesAsync(phone, acknowledged, Ct));
        Assert.Equal(0, await Stores.Messages.DeleteCopiesAsync(phone, acknowledged, Ct));
        Assert.Equal(["three"], (await ReadAllAsync(phone, T0)).Select(Text));
        Assert.Equal(["one", "two"], (await ReadAllAsync(laptop, T0)).Select(Text));
        Assert.Equal(0, await Stores.Messages.DeleteCopiesAsync(phone, [], Ct));
    }

    [Fact]
    public async Task MessageDeleteQueue_DeviceWithCopies_DeletesAllOfThemOnly()
    {
        var (sender, phone, laptop) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var conversation = await NewConversationAsync(Guid.NewGuid(), Guid.NewGuid());
        await AppendStoredAsync(Batch(conversation, sender, T0, (phone, "one"), (laptop, "one")));
        await AppendStoredAsync(Batch(conversation, sender, T0.AddSeconds(1), (phone, "two")));

        Assert.Equal(2, await Stores.Messages.DeleteQueueAsync(phone, Ct));
        Assert.Equal(0, await Stores.Messages.DeleteQueueAsync(phone, Ct));
        Assert.Empty(await ReadAllAsync(phone, T0));
        Assert.Equal(["one"], (await ReadAllAsync(laptop, T0)).Select(Text));
    }

    [Fact]
    public async Task MessagePurgeExpired_MixedRetention_RemovesExpiredCopiesAndRecordsOnly()
    {
        var (sender, phone, laptop) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var conversation = await NewConversationAsync(Guid.NewGuid(), Guid.NewGuid());
        var now = T0.AddDays(1);
        var expired = Batch(conversation, Guid.NewGuid(), sender, T0, now, (phone, "old"), (laptop, "old"));
        var live = Batch(conversation, Guid.NewGuid(), sender, T0.AddSeconds(1), now.AddTicks(1), (phone, "live"));
        await AppendStoredAsync(expired);
        await AppendStoredAsync(live);

        Assert.Equal(2, await Stores.Messages.PurgeExpiredAsync(now, Ct));

        Assert.Null(await Stores.Messages.FindAckAsync(conversation, expired.MessageId, Ct));
        Assert.Equal(new StoredAck(sender, 2, T0.AddSeconds(1)), await Stores.Messages.FindAckAsync(conversation, live.MessageId, Ct));
        Assert.Equal(["live"], (await ReadAllAsync(phone, T0)).Select(Text));
        Assert.Empty(await ReadAllAsync(laptop, T0));
        Assert.Equal(0, await Stores.Messages.PurgeExpiredAsync(now, Ct));
    }
}
