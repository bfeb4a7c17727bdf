using Messaging.Server.Features.Conversations;

namespace Messaging.Server.Tests.Storage;

public abstract partial class StoreContractTests
{
    [Fact]
    public async Task ConversationCreate_MembersOutOfIdOrder_FindKeepsGivenOrder()
    {
        var ids = SortedIds(3);
        Guid[] members = [ids[2], ids[0], ids[1]];
        var conversation = new Conversation(Guid.NewGuid(), ids[2], members, T0.AddSeconds(5)) { PracticeId = Guid.NewGuid() };

        await Stores.Conversations.CreateAsync(conversation, Ct);

        var found = await Stores.Conversations.FindAsync(conversation.Id, Ct);
        Assert.NotNull(found);
        Assert.Equal(members, found.Members);
        Assert.Equal(ids[2], found.CreatedBy);
        Assert.Equal(T0.AddSeconds(5), found.CreatedAt);
        Assert.Equal(conversation.PracticeId, found.PracticeId);
    }

    [Fact]
    public async Task ConversationCreate_PracticeIds_RoundTripThroughFindAndList()
    {
        var (doctor, patient) = (Guid.NewGuid(), Guid.NewGuid());
        var (cabinet, clinic) = (Guid.NewGuid(), Guid.NewGuid());
        var first = new Conversation(Guid.NewGuid(), doctor, [doctor, patient], T0) { PracticeId = cabinet };
        var second = new Conversation(Guid.NewGuid(), doctor, [doctor, patient], T0.AddMinutes(1)) { PracticeId = clinic };
        var noPractice = new Conversation(Guid.NewGuid(), doctor, [doctor, patient], T0.AddMinutes(2));
        foreach (var conversation in new[] { first, second, noPractice })
        {
            await Stores.Conversations.CreateAsync(conversation, Ct);
        }

        var listed = await Stores.Conversations.ListForAccountAsync(patient, Ct);

        Assert.Equal([cabinet, clinic, Guid.Empty], listed.Select(c => c.PracticeId));
        Assert.Equal(clinic, (await Stores.Conversations.FindAsync(second.Id, Ct))!.PracticeId);
        Assert.Equal(Guid.Empty, (await Stores.Conversations.FindAsync(noPractice.Id, Ct))!.PracticeId);
    }

    [Fact]
    public async Task ConversationFind_UnknownId_ReturnsNull()
    {
        await NewConversationAsync(Guid.NewGuid(), Guid.NewGuid());

        Assert.Null(await Stores.Conversations.FindAsync(Guid.NewGuid(), Ct));
    }

    [Fact]
    public async Task ConversationListForAccount_MemberOfSome_ReturnsThoseOldestFirstWithAllMembers()
    {
        var (doctor, patient, other) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var later = new Conversation(Guid.NewGuid(), doctor, [doctor, patient], T0.AddHours(2));
        var earlier = new Conversation(Guid.NewGuid(), other, [other, doctor, patient], T0.AddHours(1));
        var notHis = new Conversation(Guid.NewGuid(), other, [other, patient], T0);
        foreach (var conversation in new[] { later, earlier, notHis })
        {
            await Stores.Conversations.CreateAsync(conversation, Ct);
        }

        var listed = await Stores.Conversations.ListForAccountAsync(doctor, Ct);

        Assert.Equal([earlier.Id, later.Id], listed.Select(c => c.Id));
        Assert.Equal([other, doctor, patient], listed[0].Members);
        Assert.Equal(T0.AddHours(1), listed[0].CreatedAt);
        Assert.Equal(3, (await Stores.Conversations.ListForAccountAsync(patient, Ct)).Count);
        Assert.Empty(await Stores.Conversations.ListForAccountAsync(Guid.NewGuid(), Ct));
    }

    [Fact]
    public async Task ConversationShares_MembersOfOneConversation_IsTrueBothWaysAndFalseOtherwise()
    {
        var (doctor, patient, other, stranger) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await NewConversationAsync(doctor, patient, other);
        await NewConversationAsync(other, stranger);

        Assert.True(await Stores.Conversations.SharesConversationAsync(doctor, patient, Ct));
        Assert.True(await Stores.Conversations.SharesConversationAsync(patient, doctor, Ct));
        Assert.True(await Stores.Conversations.SharesConversationAsync(stranger, other, Ct));
        Assert.False(await Stores.Conversations.SharesConversationAsync(doctor, stranger, Ct));
        Assert.False(await Stores.Conversations.SharesConversationAsync(doctor, doctor, Ct));
        Assert.False(await Stores.Conversations.SharesConversationAsync(Guid.NewGuid(), patient, Ct));
    }
}
