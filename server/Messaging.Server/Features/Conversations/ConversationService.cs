using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Devices;

namespace Messaging.Server.Features.Conversations;

internal sealed class ConversationService(
    IConversationStore conversations,
    IAccountStore accounts,
    IDeviceStore devices,
    AuditTrail audit,
    TimeProvider time)
{
    public const int MaximumMembers = 64;

    public abstract record CreateOutcome
    {
        public sealed record Created(Conversation Conversation) : CreateOutcome;

        public sealed record Invalid(string Detail) : CreateOutcome;
    }

    /// <summary>Starts a conversation between the caller and other member accounts (admins take no part).</summary>
    public async Task<CreateOutcome> CreateAsync(Caller caller, CreateConversationRequest request, CancellationToken cancellationToken)
    {
        var others = (request.MemberAccountIds ?? []).Where(id => id != caller.AccountId).Distinct().ToList();
        if (others.Count == 0 || others.Count + 1 > MaximumMembers)
        {
            return new CreateOutcome.Invalid($"A conversation has between 2 and {MaximumMembers} members, the caller included.");
        }

        var found = await accounts.FindManyAsync(others, cancellationToken);
        if (found.Count != others.Count || found.Any(a => a.Role != Roles.Member))
        {
            // One answer for "no such account" and "not a member account": ids of other accounts are not probed.
            await audit.DeniedAsync("conversation.create", caller.AccountId, caller.DeviceId, null, ErrorCodes.InvalidRequest, cancellationToken);
            return new CreateOutcome.Invalid("Every member must be an existing member account.");
        }

        var conversation = new Conversation(Guid.NewGuid(), caller.AccountId, [caller.AccountId, .. others], time.GetUtcNow());
        await conversations.CreateAsync(conversation, cancellationToken);
        await audit.SucceededAsync("conversation.create", caller.AccountId, caller.DeviceId, conversation.Id.ToString(), cancellationToken);
        return new CreateOutcome.Created(conversation);
    }

    public Task<IReadOnlyList<Conversation>> ListAsync(Caller caller, CancellationToken cancellationToken) =>
        conversations.ListForAccountAsync(caller.AccountId, cancellationToken);

    /// <summary>
    /// The conversation if the caller is a member; otherwise null, audited. A non-member learns nothing, not even
    /// whether the conversation exists.
    /// </summary>
    public async Task<Conversation?> FindForMemberAsync(Caller caller, Guid conversationId, string action, CancellationToken cancellationToken)
    {
        var conversation = await conversations.FindAsync(conversationId, cancellationToken);
        if (conversation is null || !conversation.Members.Contains(caller.AccountId))
        {
            await audit.DeniedAsync(action, caller.AccountId, caller.DeviceId, conversationId.ToString(), ErrorCodes.NotAMember, cancellationToken);
            return null;
        }

        return conversation;
    }

    /// <summary>Every active device of every member: the devices a message must be encrypted for.</summary>
    public Task<IReadOnlyList<Device>> ListDevicesAsync(Conversation conversation, CancellationToken cancellationToken) =>
        devices.ListActiveAsync(conversation.Members, cancellationToken);

    public static ConversationInfo ToInfo(Conversation c) => new(c.Id, c.Members, c.CreatedAt.ToUnixTimeMilliseconds());
}
