using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Conversations;

namespace Messaging.Server.Features.Practices;

/// <summary>Practices and their people: the operator creates a practice; its staff see its members; its admins remove people.</summary>
internal sealed class PracticeService(
    IPracticeStore practices,
    IAccountStore accounts,
    InvitationService invitations,
    PracticeAccess access,
    PersonalDataProtector personalData,
    RoutingChanges routing,
    AuditTrail audit,
    TimeProvider time)
{
    public const int MaximumNameLength = 200;

    public static string? Validate(CreatePracticeRequest request) =>
        string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > MaximumNameLength ? $"A practice needs a name of at most {MaximumNameLength} characters."
        : request.AdminEmail is { } email ? EmailIndex.Validate(email)
        : null;

    /// <summary>Creates a practice and the invitation of its first admin (the operator's only power).</summary>
    public async Task<PracticeCreated> CreateAsync(Caller caller, CreatePracticeRequest request, CancellationToken cancellationToken)
    {
        var practice = new Practice(Guid.NewGuid(), request.Name.Trim(), time.GetUtcNow());
        await practices.CreateAsync(practice, cancellationToken);
        await audit.SucceededAsync("practice.create", caller.AccountId, caller.DeviceId, practice.Id.ToString());
        var invitation = await invitations.CreateAsync(
            practice.Id, new CreateInvitationRequest(Roles.Admin, request.AdminEmail, null, null, request.Language), caller.AccountId, cancellationToken);
        return new PracticeCreated(practice.Id, invitation);
    }

    /// <summary>The practice's people, for its staff; null (audited) for anyone else.</summary>
    public async Task<IReadOnlyList<PracticeMember>?> ListMembersAsync(Caller caller, Guid practiceId, CancellationToken cancellationToken)
    {
        if (!await access.HasRoleAsync(caller.AccountId, practiceId, AccessRules.MaySeeMembers, cancellationToken))
        {
            await audit.DeniedAsync("practice.members", caller.AccountId, caller.DeviceId, practiceId.ToString(), ErrorCodes.Forbidden);
            return null;
        }

        var memberships = await practices.ListForPracticeAsync(practiceId, cancellationToken);
        var people = (await accounts.FindManyAsync([.. memberships.Select(m => m.AccountId).Distinct()], cancellationToken)).ToDictionary(a => a.Id);
        return [.. memberships.Select(m => new PracticeMember(m.AccountId, m.Role, NameOf(people.GetValueOrDefault(m.AccountId))))];
    }

    /// <summary>Removes every role of a person in the practice (admins only); they lose its conversations at once.</summary>
    public async Task<bool> RemoveMemberAsync(Caller caller, Guid practiceId, Guid accountId, CancellationToken cancellationToken)
    {
        if (!await access.HasRoleAsync(caller.AccountId, practiceId, AccessRules.MayManagePeople, cancellationToken))
        {
            await audit.DeniedAsync("practice.remove-member", caller.AccountId, caller.DeviceId, practiceId.ToString(), ErrorCodes.Forbidden);
            return false;
        }

        await practices.RemoveMembershipsAsync(practiceId, accountId, cancellationToken);
        routing.Changed();
        await audit.SucceededAsync("practice.remove-member", caller.AccountId, caller.DeviceId, accountId.ToString());
        return true;
    }

    private string? NameOf(Account? account) =>
        account?.Profile is { } profile ? personalData.Unprotect(profile, account.Id).Name : null;
}
