using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Conversations;

namespace Messaging.Server.Features.Practices;

/// <summary>
/// Applies <see cref="AccessRules"/> to the stored memberships. Memberships and consent are read at each decision,
/// so removing someone from a practice or a patient's withdrawal takes effect on the next call.
/// </summary>
internal sealed class PracticeAccess(IPracticeStore practices, IAccountStore accounts)
{
    /// <summary>The caller's roles in one practice.</summary>
    public async Task<IReadOnlyList<string>> RolesInAsync(Guid accountId, Guid practiceId, CancellationToken cancellationToken) =>
        [.. (await practices.ListForAccountsAsync([accountId], cancellationToken)).Where(m => m.PracticeId == practiceId).Select(m => m.Role)];

    public async Task<bool> HasRoleAsync(Guid accountId, Guid practiceId, Func<string, bool> rule, CancellationToken cancellationToken) =>
        (await RolesInAsync(accountId, practiceId, cancellationToken)).Any(rule);

    /// <summary>
    /// Whether <paramref name="starter"/> may open a conversation in the practice with <paramref name="others"/>:
    /// the starter holds a starting role there, and for every other person one of the starter's roles reaches one of
    /// theirs in that same practice; patients must have active consent.
    /// </summary>
    public async Task<bool> MayStartAsync(Guid starter, Guid practiceId, IReadOnlyCollection<Guid> others, CancellationToken cancellationToken)
    {
        var memberships = (await practices.ListForAccountsAsync([starter, .. others], cancellationToken))
            .Where(m => m.PracticeId == practiceId).ToLookup(m => m.AccountId, m => m.Role);
        var starterRoles = memberships[starter].Where(AccessRules.MayStartConversations).ToList();
        if (starterRoles.Count == 0 || !others.All(o => memberships[o].Any(role => starterRoles.Any(s => AccessRules.MayReach(s, role)))))
        {
            return false;
        }

        var patients = others.Where(o => memberships[o].Contains(Roles.Patient) && !memberships[o].Any(r => r != Roles.Patient)).ToList();
        return patients.Count == 0 || (await accounts.FindManyAsync(patients, cancellationToken)).All(a => a.HasActiveConsent);
    }

    /// <summary>
    /// The members of the conversation who take part now: they still hold a taking-part role in its practice, and
    /// patients have active consent. Only their devices receive copies; the others may not use the conversation.
    /// </summary>
    public async Task<IReadOnlySet<Guid>> ParticipantsAsync(Conversation conversation, CancellationToken cancellationToken) =>
        (await ParticipantsOfAsync(conversation, cancellationToken)).AccountIds;

    /// <summary>As <see cref="ParticipantsAsync"/>, with the consenting patients' accounts (the send path notifies them).</summary>
    public async Task<Participants> ParticipantsOfAsync(Conversation conversation, CancellationToken cancellationToken)
    {
        var roles = (await practices.ListForAccountsAsync(conversation.Members, cancellationToken))
            .Where(m => m.PracticeId == conversation.PracticeId && AccessRules.TakesPart(m.Role))
            .ToLookup(m => m.AccountId, m => m.Role);
        var everyone = conversation.Members.Where(id => roles[id].Any(r => r != Roles.Patient)).ToHashSet();
        var patientIds = conversation.Members.Where(id => !everyone.Contains(id) && roles[id].Any()).ToList();
        IReadOnlyList<Account> patients = patientIds.Count == 0
            ? []
            : [.. (await accounts.FindManyAsync(patientIds, cancellationToken)).Where(a => a.HasActiveConsent)];
        everyone.UnionWith(patients.Select(a => a.Id));
        return new Participants(everyone, patients);
    }

    /// <summary>Whether the caller is a member who takes part now (see <see cref="ParticipantsAsync"/>).</summary>
    public async Task<bool> MayUseAsync(Guid accountId, Conversation conversation, CancellationToken cancellationToken)
    {
        if (!conversation.Members.Contains(accountId))
        {
            return false;
        }

        var roles = await RolesInAsync(accountId, conversation.PracticeId, cancellationToken);
        if (roles.Any(r => AccessRules.TakesPart(r) && r != Roles.Patient))
        {
            return true;
        }

        return roles.Contains(Roles.Patient) && await accounts.FindAsync(accountId, cancellationToken) is { HasActiveConsent: true };
    }

    /// <summary>Whether the caller administers a practice the target account belongs to (their own account aside).</summary>
    public async Task<bool> MayManageAsync(Guid adminId, Guid targetAccountId, CancellationToken cancellationToken)
    {
        var all = await practices.ListForAccountsAsync([adminId, targetAccountId], cancellationToken);
        var administered = all.Where(m => m.AccountId == adminId && AccessRules.MayManagePeople(m.Role)).Select(m => m.PracticeId).ToHashSet();
        return all.Any(m => m.AccountId == targetAccountId && administered.Contains(m.PracticeId));
    }
}

/// <summary>Who takes part in a conversation now, and which of them are (consenting) patients.</summary>
internal sealed record Participants(IReadOnlySet<Guid> AccountIds, IReadOnlyList<Account> Patients);
