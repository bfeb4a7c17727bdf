using Messaging.Server.Features.Delivery;

namespace Messaging.Server.Tests.Storage;

public abstract partial class StoreContractTests
{
    [Fact]
    public async Task MessageReadMessageCopies_SomeAcknowledgedOrOtherMessages_ReturnsOnlyThisMessagesWaitingCopies()
    {
        var (sender, phone, laptop, tablet) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var conversation = await NewConversationAsync(Guid.NewGuid(), Guid.NewGuid());
        var wanted = Batch(conversation, sender, T0, (phone, "to phone"), (laptop, "to laptop"), (tablet, "to tablet"));
        await AppendStoredAsync(wanted);
        await AppendStoredAsync(Batch(conversation, sender, T0.AddSeconds(1), (phone, "another message")));
        await Stores.Messages.DeleteCopiesAsync(laptop, [new CopyRef(conversation, wanted.MessageId)], Ct);

        var copies = await Stores.Messages.ReadMessageCopiesAsync(conversation, wanted.MessageId, T0, Ct);

        Assert.Equal(
            new[] { (phone, "to phone"), (tablet, "to tablet") }.OrderBy(c => c.Item1),
            copies.Select(c => (c.DeviceId, Text(c))).OrderBy(c => c.Item1));
        Assert.All(copies, c => Assert.Equal((conversation, wanted.MessageId, 1L, sender), (c.ConversationId, c.MessageId, c.Sequence, c.SenderDeviceId)));
    }

    [Fact]
    public async Task MessageReadMessageCopies_RetentionEnded_ReturnsNothing()
    {
        var (sender, phone) = (Guid.NewGuid(), Guid.NewGuid());
        var conversation = await NewConversationAsync(Guid.NewGuid(), Guid.NewGuid());
        var batch = Batch(conversation, sender, T0, (phone, "old"));
        await AppendStoredAsync(batch);

        Assert.Single(await Stores.Messages.ReadMessageCopiesAsync(conversation, batch.MessageId, T0 + Retention - TimeSpan.FromTicks(1), Ct));
        Assert.Empty(await Stores.Messages.ReadMessageCopiesAsync(conversation, batch.MessageId, T0 + Retention, Ct));
    }
}
