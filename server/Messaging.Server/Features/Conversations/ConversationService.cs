using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Devices;
using Messaging.Server.Features.Practices;

namespace Messaging.Server.Features.Conversations;

internal sealed class ConversationService(
    IConversationStore conversations,
    IDeviceStore devices,
    PracticeAccess access,
    SendRoutes routes,
    AuditTrail audit,
    TimeProvider time)
{
    public const int MaximumMembers = 64;

    public abstract record CreateOutcome
    {
        public sealed record Created(Conversation Conversation) : CreateOutcome;

        public sealed record Invalid(string Detail) : CreateOutcome;

        public sealed record Refused : CreateOutcome;
    }

    /// <summary>
    /// Opens a conversation in a practice between the caller and others the caller's role there may reach
    /// (<see cref="AccessRules"/>). A refusal does not say which person was out of reach: ids are not probed.
    /// </summary>
    public async Task<CreateOutcome> CreateAsync(Caller caller, CreateConversationRequest request, CancellationToken cancellationToken)
    {
        if (!caller.IsStaff)
        {
            // Patients only take part in conversations a practice opened with them; operators in none.
            await audit.DeniedAsync("conversation.create", caller.AccountId, caller.DeviceId, request.PracticeId.ToString(), ErrorCodes.Forbidden);
            return new CreateOutcome.Refused();
        }

        var others = (request.MemberAccountIds ?? []).Where(id => id != caller.AccountId).Distinct().ToList();
        if (request.PracticeId == Guid.Empty || others.Count == 0 || others.Count + 1 > MaximumMembers)
        {
            return new CreateOutcome.Invalid($"A conversation belongs to a practice and has between 2 and {MaximumMembers} members, the caller included.");
        }

        if (!await access.MayStartAsync(caller.AccountId, request.PracticeId, others, cancellationToken))
        {
            await audit.DeniedAsync("conversation.create", caller.AccountId, caller.DeviceId, request.PracticeId.ToString(), ErrorCodes.Forbidden);
            return new CreateOutcome.Refused();
        }

        var conversation = new Conversation(Guid.NewGuid(), caller.AccountId, [caller.AccountId, .. others], time.GetUtcNow())
        {
            PracticeId = request.PracticeId,
        };
        await conversations.CreateAsync(conversation, cancellationToken);
        await audit.SucceededAsync("conversation.create", caller.AccountId, caller.DeviceId, conversation.Id.ToString());
        return new CreateOutcome.Created(conversation);
    }

    /// <summary>The conversations the caller is a member of and may use now.</summary>
    public async Task<IReadOnlyList<Conversation>> ListAsync(Caller caller, CancellationToken cancellationToken)
    {
        var usable = new List<Conversation>();
        foreach (var conversation in await conversations.ListForAccountAsync(caller.AccountId, cancellationToken))
        {
            if (await access.MayUseAsync(caller.AccountId, conversation, cancellationToken))
            {
                usable.Add(conversation);
            }
        }

        return usable;
    }

    /// <summary>
    /// The conversation if the caller takes part in it now; otherwise null, audited. An outsider learns nothing, not
    /// even whether the conversation exists.
    /// </summary>
    public async Task<Conversation?> FindForMemberAsync(Caller caller, Guid conversationId, string action, CancellationToken cancellationToken)
    {
        var conversation = await conversations.FindAsync(conversationId, cancellationToken);
        if (conversation is null || !await access.MayUseAsync(caller.AccountId, conversation, cancellationToken))
        {
            await audit.DeniedAsync(action, caller.AccountId, caller.DeviceId, conversationId.ToString(), ErrorCodes.NotAMember);
            return null;
        }

        return conversation;
    }

    /// <summary>
    /// The send path's check in one (usually cached) lookup: who the message goes to, if the caller takes part in the
    /// conversation now; otherwise null, audited like <see cref="FindForMemberAsync"/>.
    /// </summary>
    public async Task<SendRoute?> FindForSendAsync(Caller caller, Guid conversationId, CancellationToken cancellationToken)
    {
        var route = await routes.FindAsync(conversationId, cancellationToken);
        if (route is null || !route.Participants.AccountIds.Contains(caller.AccountId))
        {
            await audit.DeniedAsync("message.send", caller.AccountId, caller.DeviceId, conversationId.ToString(), ErrorCodes.NotAMember);
            return null;
        }

        return route;
    }

    /// <summary>
    /// Every active device of every member who takes part now: the devices a message must be encrypted for. A
    /// patient without consent, or someone removed from the practice, has none here, so nothing is stored for them.
    /// </summary>
    public async Task<IReadOnlyList<Device>> ListDevicesAsync(Conversation conversation, CancellationToken cancellationToken)
    {
        var participants = await access.ParticipantsAsync(conversation, cancellationToken);
        return participants.Count == 0 ? [] : await devices.ListActiveAsync([.. participants], cancellationToken);
    }

    /// <summary>
    /// Whether both accounts take part now in a conversation they share: whose prekey bundles a device may fetch. A
    /// patient without consent, or someone removed from the practice, no longer counts.
    /// </summary>
    public async Task<bool> SharesUsableConversationAsync(Guid accountId, Guid otherAccountId, CancellationToken cancellationToken)
    {
        if (!await conversations.SharesConversationAsync(accountId, otherAccountId, cancellationToken))
        {
            return false;
        }

        foreach (var conversation in await conversations.ListForAccountAsync(accountId, cancellationToken))
        {
            if (conversation.Members.Contains(otherAccountId)
                && await access.ParticipantsAsync(conversation, cancellationToken) is var participants
                && participants.Contains(accountId) && participants.Contains(otherAccountId))
            {
                return true;
            }
        }

        return false;
    }

    public static ConversationInfo ToInfo(Conversation c) => new(c.Id, c.PracticeId, c.Members, c.CreatedAt.ToUnixTimeMilliseconds());
}
