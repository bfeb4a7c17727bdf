using Messaging.Server.Features.Delivery;

namespace Messaging.Server.Tests.Storage;

public abstract partial class StoreContractTests
{
    [Fact]
    public async Task MessageAppend_ThreeMessages_AssignsSequences1To3()
    {
        var (sender, recipient) = (Guid.NewGuid(), Guid.NewGuid());
        var conversation = await NewConversationAsync(Guid.NewGuid(), Guid.NewGuid());

        var acks = new List<StoredAck>();
        for (var i = 0; i < 3; i++)
        {
            acks.Add(await AppendStoredAsync(Batch(conversation, sender, T0.AddSeconds(i), (recipient, $"m{i}"))));
        }

        Assert.Equal([1L, 2L, 3L], acks.Select(a => a.Sequence));
        Assert.All(acks, a => Assert.Equal(sender, a.SenderDeviceId));
        Assert.Equal(T0.AddSeconds(2), acks[2].AcceptedAt);
    }

    [Fact]
    public async Task MessageAppend_TwoConversations_NumbersEachFrom1()
    {
        var (sender, recipient) = (Guid.NewGuid(), Guid.NewGuid());
        var first = await NewConversationAsync(Guid.NewGuid(), Guid.NewGuid());
        var second = await NewConversationAsync(Guid.NewGuid(), Guid.NewGuid());

        var a1 = await AppendStoredAsync(Batch(first, sender, T0, (recipient, "a1")));
        var a2 = await AppendStoredAsync(Batch(first, sender, T0.AddSeconds(1), (recipient, "a2")));
        var b1 = await AppendStoredAsync(Batch(second, sender, T0.AddSeconds(2), (recipient, "b1")));
        var a3 = await AppendStoredAsync(Batch(first, sender, T0.AddSeconds(3), (recipient, "a3")));

        Assert.Equal([1L, 2L, 1L, 3L], new[] { a1, a2, b1, a3 }.Select(a => a.Sequence));
    }

    [Fact]
    public async Task MessageAppend_SameIdSameDevice_ReturnsDuplicateWithFirstAckAndStoresNothing()
    {
        var (sender, recipient) = (Guid.NewGuid(), Guid.NewGuid());
        var conversation = await NewConversationAsync(Guid.NewGuid(), Guid.NewGuid());
        var messageId = Guid.NewGuid();
        var first = await AppendStoredAsync(
            Batch(conversation, messageId, sender, T0, T0 + Retention, (recipient, "first"), (sender, "own")));

        var retry = await Stores.Messages.AppendAsync(
            Batch(conversation, messageId, sender, T0.AddMinutes(1), T0.AddMinutes(1) + Retention, (recipient, "retry")), Ct);

        Assert.Equal(AppendStatus.Duplicate, retry.Status);
        Assert.Equal(first, retry.Ack);
        Assert.Equal(new StoredAck(sender, 1, T0), retry.Ack);
        Assert.Equal(["first"], (await ReadAllAsync(recipient, T0)).Select(Text));
        Assert.Equal(2, (await AppendStoredAsync(Batch(conversation, sender, T0.AddMinutes(2), (recipient, "next")))).Sequence);
    }

    [Fact]
    public async Task MessageAppend_SameIdOtherDevice_ReturnsIdConflictAndStoresNothing()
    {
        var (sender, intruder, recipient) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var conversation = await NewConversationAsync(Guid.NewGuid(), Guid.NewGuid());
        var messageId = Guid.NewGuid();
        await AppendStoredAsync(Batch(conversation, messageId, sender, T0, T0 + Retention, (recipient, "first")));

        var conflict = await Stores.Messages.AppendAsync(
            Batch(conversation, messageId, intruder, T0.AddMinutes(1), T0 + Retention, (recipient, "other"), (intruder, "own")), Ct);

        Assert.Equal(AppendStatus.IdConflict, conflict.Status);
        Assert.Null(conflict.Ack);
        Assert.Equal(["first"], (await ReadAllAsync(recipient, T0)).Select(Text));
        Assert.Empty(await ReadAllAsync(intruder, T0));
        Assert.Equal(new StoredAck(sender, 1, T0), await Stores.Messages.FindAckAsync(conversation, messageId, Ct));
    }

    [Fact]
    public async Task MessageAppend_UnknownConversation_ThrowsAndStoresNothing()
    {
        var (sender, recipient, messageId) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var unknown = Guid.NewGuid();

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Stores.Messages.AppendAsync(Batch(unknown, messageId, sender, T0, T0 + Retention, (recipient, "lost")), Ct));

        Assert.Null(await Stores.Messages.FindAckAsync(unknown, messageId, Ct));
        Assert.Empty(await ReadAllAsync(recipient, T0));
    }

    [Fact]
    public async Task MessageAppend_20InParallel_GetContiguousSequencesInQueueOrder()
    {
        var (sender, recipient) = (Guid.NewGuid(), Guid.NewGuid());
        var conversation = await NewConversationAsync(Guid.NewGuid(), Guid.NewGuid());
        var batches = Enumerable.Range(0, 20).Select(i => Batch(conversation, sender, T0, (recipient, $"m{i}"))).ToList();

        var results = await Task.WhenAll(batches.Select(b => Task.Run(() => Stores.Messages.AppendAsync(b, Ct), Ct)));

        Assert.All(results, r => Assert.Equal(AppendStatus.Stored, r.Status));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), results.Select(r => r.Ack!.Sequence).Order());
        var queue = await ReadAllAsync(recipient, T0);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), queue.Select(c => c.Sequence));
        for (var i = 0; i < batches.Count; i++)
        {
            Assert.Equal(results[i].Ack!.Sequence, queue.Single(c => c.MessageId == batches[i].MessageId).Sequence);
        }
    }

    [Fact]
    public async Task MessageAppend_SameIdTenTimesInParallel_StoresOnceAndReturnsOneAck()
    {
        var (sender, recipient) = (Guid.NewGuid(), Guid.NewGuid());
        var conversation = await NewConversationAsync(Guid.NewGuid(), Guid.NewGuid());
        var batch = Batch(conversation, sender, T0, (recipient, "once"));

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => Stores.Messages.AppendAsync(batch, Ct), Ct)));

        Assert.Single(results, r => r.Status == AppendStatus.Stored);
        Assert.Equal(9, results.Count(r => r.Status == AppendStatus.Duplicate));
        Assert.All(results, r => Assert.Equal(new StoredAck(sender, 1, T0), r.Ack));
        Assert.Equal(["once"], (await ReadAllAsync(recipient, T0)).Select(Text));
    }

    [Fact]
    public async Task MessageAppend_ClockStepsBack_EnqueueTimeStillIncreases()
    {
        var (sender, recipient) = (Guid.NewGuid(), Guid.NewGuid());
        var conversation = await NewConversationAsync(Guid.NewGuid(), Guid.NewGuid());

        await AppendStoredAsync(Batch(conversation, sender, T0.AddSeconds(10), (recipient, "first")));
        await AppendStoredAsync(Batch(conversation, sender, T0, (recipient, "earlier clock")));
        await AppendStoredAsync(Batch(conversation, sender, T0.AddSeconds(20), (recipient, "later")));

        var queue = await ReadAllAsync(recipient, T0);
        Assert.Equal(["first", "earlier clock", "later"], queue.Select(Text));
        Assert.Equal(
            [T0.AddSeconds(10).UtcTicks, T0.AddSeconds(10).UtcTicks + 1, T0.AddSeconds(20).UtcTicks],
            queue.Select(c => c.Position.EnqueuedAtTicks));
        Assert.Equal(T0, queue[1].AcceptedAt);
    }

    [Fact]
    public async Task MessageFindAck_StoredAndUnknownIds_ReturnsAckOrNull()
    {
        var sender = Guid.NewGuid();
        var conversation = await NewConversationAsync(Guid.NewGuid(), Guid.NewGuid());
        var batch = Batch(conversation, sender, T0.AddSeconds(1), (Guid.NewGuid(), "x"));
        await AppendStoredAsync(Batch(conversation, sender, T0, (Guid.NewGuid(), "before")));
        await AppendStoredAsync(batch);

        Assert.Equal(new StoredAck(sender, 2, T0.AddSeconds(1)), await Stores.Messages.FindAckAsync(conversation, batch.MessageId, Ct));
        Assert.Null(await Stores.Messages.FindAckAsync(conversation, Guid.NewGuid(), Ct));
        Assert.Null(await Stores.Messages.FindAckAsync(Guid.NewGuid(), batch.MessageId, Ct));
    }
}
