using Messaging.Contracts;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Practices;

namespace Messaging.Server.Features.Accounts;

/// <summary>
/// Creates accounts (through an accepted invitation, or the operator bootstrap command) and answers "who am I". The
/// login is kept only as a blind index; the profile (name, email, phone) only sealed.
/// </summary>
internal sealed class AccountService(
    IAccountStore accounts,
    IPracticeStore practices,
    PasswordHasher passwords,
    PasswordPolicy passwordPolicy,
    LoginIndex loginIndex,
    EmailIndex emailIndex,
    PersonalDataProtector personalData,
    AuditTrail audit,
    TimeProvider time)
{
    public abstract record CreateOutcome
    {
        public sealed record Created(Account Account) : CreateOutcome;

        public sealed record Invalid(string Detail) : CreateOutcome;

        /// <summary>The login, or the email address, belongs to another account already.</summary>
        public sealed record Taken : CreateOutcome;
    }

    /// <summary>The problem with a login and password for a new account, or null when both are acceptable.</summary>
    public string? Check(string? login, string? password) =>
        LoginIndex.Validate(login) ?? passwordPolicy.Check(password, login);

    public async Task<CreateOutcome> CreateAsync(
        string kind,
        string login,
        string password,
        PersonalProfile? profile,
        string language,
        Consent? consent,
        Guid? createdBy,
        CancellationToken cancellationToken,
        Guid? accountId = null)
    {
        if (Check(login, password) is { } problem)
        {
            return new CreateOutcome.Invalid(problem);
        }

        if (profile?.Email is { } email && EmailIndex.Validate(email) is { } emailProblem)
        {
            return new CreateOutcome.Invalid(emailProblem);
        }

        var id = accountId ?? Guid.NewGuid();
        var account = new Account(id, loginIndex.Compute(login), await passwords.HashAsync(password, cancellationToken), kind, time.GetUtcNow())
        {
            EmailIndex = profile?.Email is { } address ? emailIndex.Compute(address) : null,
            Profile = profile is null ? null : personalData.Protect(profile, id),
            Language = language == "en" ? "en" : "fr",
            Consent = consent,
        };
        if (!await accounts.TryCreateAsync(account, cancellationToken))
        {
            return new CreateOutcome.Taken();
        }

        await audit.SucceededAsync("account.create", createdBy ?? account.Id, null, account.Id.ToString());
        return new CreateOutcome.Created(account);
    }

    public async Task<AccountInfo?> DescribeAsync(Caller caller, CancellationToken cancellationToken)
    {
        var account = await accounts.FindAsync(caller.AccountId, cancellationToken);
        if (account is null)
        {
            return null;
        }

        var memberships = await practices.ListForAccountsAsync([account.Id], cancellationToken);
        return new AccountInfo(account.Id, account.Kind, caller.SecondFactor, [.. memberships.Select(m => new MembershipInfo(m.PracticeId, m.Role))]);
    }
}
