using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Accounts.SecondFactor;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Conversations;
using Messaging.Server.Features.Notifications.Email;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Features.Practices;

/// <summary>
/// Onboarding by invitation: single-use tokens (256 bits, only their hash stored) that expire. Admins invite staff,
/// staff invite patients (<see cref="AccessRules.MayInvite"/>); the operator's practice creation invites the first
/// admin. Accepting creates the account, or adds the practice to the signed-in account; a patient's acceptance records
/// consent to the current terms, without which nothing is delivered to them.
/// </summary>
internal sealed class InvitationService(
    IInvitationStore invitations,
    IPracticeStore practices,
    IAccountStore accounts,
    AccountService accountService,
    PracticeAccess access,
    PersonalDataProtector personalData,
    EmailIndex emailIndex,
    AccountMail mail,
    RoutingChanges routing,
    AuditTrail audit,
    IOptions<AccountOptions> options,
    TimeProvider time)
{
    public abstract record AcceptOutcome
    {
        public sealed record Accepted(InvitationAccepted Result) : AcceptOutcome;

        public sealed record Problem(string Code, int Status, string Detail) : AcceptOutcome;
    }

    /// <summary>An invitation by a member of the practice, or null (audited) when their roles there may not invite this role.</summary>
    public async Task<InvitationCreated?> InviteAsync(Caller caller, Guid practiceId, CreateInvitationRequest request, CancellationToken cancellationToken)
    {
        var roles = await access.RolesInAsync(caller.AccountId, practiceId, cancellationToken);
        if (!roles.Any(r => AccessRules.MayInvite(r, request.Role)))
        {
            await audit.DeniedAsync("invitation.create", caller.AccountId, caller.DeviceId, practiceId.ToString(), ErrorCodes.Forbidden);
            return null;
        }

        return await CreateAsync(practiceId, request, caller.AccountId, cancellationToken);
    }

    /// <summary>Creates and (with an email address) sends an invitation; the caller checked the inviter's rights.</summary>
    public async Task<InvitationCreated> CreateAsync(Guid practiceId, CreateInvitationRequest request, Guid? invitedBy, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var token = TokenHash.NewToken();
        var id = Guid.NewGuid();
        var profile = request.Email is null && request.Name is null && request.Phone is null
            ? null
            : new PersonalProfile(request.Name, request.Email, request.Phone);
        var invitation = new Invitation(id, TokenHash.Of(token), practiceId, request.Role, invitedBy, now, now + options.Value.InvitationLifetime)
        {
            Profile = profile is null ? null : personalData.Protect(profile, id),
            Language = Language(request.Language),
        };
        await invitations.CreateAsync(invitation, cancellationToken);
        await audit.SucceededAsync("invitation.create", invitedBy, null, id.ToString());
        if (request.Email is { } address)
        {
            await mail.TrySendAsync(EmailTemplates.Invitation(address, invitation.Language, mail.Link("invitation", token)), "invitation", null, cancellationToken);
        }

        return new InvitationCreated(id, token, invitation.ExpiresAt.ToUnixTimeMilliseconds());
    }

    /// <summary>The problem with an invitation request's fields, or null.</summary>
    public static string? Validate(CreateInvitationRequest request) =>
        !Roles.IsPracticeRole(request.Role) ? "The role must be one of: admin, secretary, doctor, patient."
        : request.Role == Roles.Patient && request.Email is null ? "A patient's invitation needs their email address (for sign-in codes)."
        : request.Email is { } email ? EmailIndex.Validate(email)
        : request.Name is { Length: > 200 } || request.Phone is { Length: > 40 } ? "The name or the phone number is too long."
        : null;

    public async Task<AcceptOutcome> AcceptAsync(AcceptInvitationRequest request, Caller? caller, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var invitation = string.IsNullOrEmpty(request.Token) || request.Token.Length > 128
            ? null
            : await invitations.FindByTokenHashAsync(TokenHash.Of(request.Token), cancellationToken);
        if (invitation is null || invitation.UsedAt is not null || invitation.ExpiresAt <= now)
        {
            await audit.DeniedAsync("invitation.accept", caller?.AccountId, null, invitation?.Id.ToString(), ErrorCodes.InvitationInvalid);
            return new AcceptOutcome.Problem(ErrorCodes.InvitationInvalid, StatusCodes.Status410Gone, "This invitation is unknown, used or expired.");
        }

        var terms = options.Value.TermsVersion;
        var consent = invitation.Role == Roles.Patient ? new Consent(terms, now, null) : null;
        if (consent is not null && request.AcceptedTermsVersion != terms)
        {
            return new AcceptOutcome.Problem(ErrorCodes.ConsentRequired, StatusCodes.Status400BadRequest, $"A patient must accept the terms, version {terms}.");
        }

        var account = caller is null ? null : await accounts.FindAsync(caller.AccountId, cancellationToken);
        if (caller is not null && (account is null || !AccessRules.FitsKind(invitation.Role, account.Kind)))
        {
            await audit.DeniedAsync("invitation.accept", caller.AccountId, null, invitation.Id.ToString(), ErrorCodes.Forbidden);
            return new AcceptOutcome.Problem(ErrorCodes.Forbidden, StatusCodes.Status403Forbidden, "This account cannot take this role.");
        }

        if (account is null)
        {
            var profile = invitation.Profile is { } sealedProfile ? personalData.Unprotect(sealedProfile, invitation.Id) : null;
            var kind = AccessRules.KindFor(invitation.Role);
            if (accountService.Check(request.Login, request.Password) is { } problem)
            {
                return new AcceptOutcome.Problem(ErrorCodes.InvalidRequest, StatusCodes.Status400BadRequest, problem);
            }

            if (profile?.Email is { } email && await accounts.FindByEmailIndexAsync(emailIndex.Compute(email), cancellationToken) is not null)
            {
                return new AcceptOutcome.Problem(ErrorCodes.Conflict, StatusCodes.Status409Conflict, "An account exists for this email address: sign in, then accept.");
            }

            // The account's id is chosen first, so that the spent invitation names the account it created.
            var newAccountId = Guid.NewGuid();
            if (!await invitations.TryConsumeAsync(invitation.Id, newAccountId, now, cancellationToken))
            {
                return new AcceptOutcome.Problem(ErrorCodes.InvitationInvalid, StatusCodes.Status410Gone, "This invitation is unknown, used or expired.");
            }

            var created = await accountService.CreateAsync(
                kind, request.Login!, request.Password!, profile, invitation.Language, consent, invitation.InvitedBy, cancellationToken, newAccountId);
            if (created is not AccountService.CreateOutcome.Created { Account: var fresh })
            {
                // The invitation is spent: an identical login taken between the check and now is too rare to keep it.
                return new AcceptOutcome.Problem(ErrorCodes.Conflict, StatusCodes.Status409Conflict, "This login is taken.");
            }

            account = fresh;
        }
        else
        {
            if (!await invitations.TryConsumeAsync(invitation.Id, account.Id, now, cancellationToken))
            {
                return new AcceptOutcome.Problem(ErrorCodes.InvitationInvalid, StatusCodes.Status410Gone, "This invitation is unknown, used or expired.");
            }

            if (consent is not null)
            {
                await accounts.SetConsentAsync(account.Id, consent, cancellationToken);
            }
        }

        await practices.AddMembershipAsync(new Membership(invitation.PracticeId, account.Id, invitation.Role, now), cancellationToken);
        routing.Changed();
        await audit.SucceededAsync("invitation.accept", account.Id, null, invitation.Id.ToString());
        if (consent is not null)
        {
            await audit.SucceededAsync("consent.give", account.Id, null, consent.TermsVersion);
        }

        return new AcceptOutcome.Accepted(new InvitationAccepted(account.Id, invitation.PracticeId, invitation.Role));
    }

    private static string Language(string? language) => language == "en" ? "en" : "fr";
}
