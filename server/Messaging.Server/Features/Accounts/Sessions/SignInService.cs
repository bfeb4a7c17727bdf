using Messaging.Contracts;
using Messaging.Server.Features.Accounts.SecondFactor;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Notifications.Email;
using Messaging.Server.Features.Practices;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Features.Accounts.Sessions;

/// <summary>
/// Password sign-in and the second step after it. Failed passwords and failed codes count together towards a lockout
/// that doubles with each further failure; the person is emailed when the account locks and told of failed attempts
/// at their next sign-in.
/// </summary>
internal sealed class SignInService(
    IAccountStore accounts,
    IPracticeStore practices,
    SecondFactorService factors,
    PasswordHasher passwords,
    LoginIndex loginIndex,
    TokenIssuer tokens,
    AccountMail mail,
    AuditTrail audit,
    IOptions<AccountOptions> options,
    TimeProvider time)
{
    public abstract record Outcome
    {
        public sealed record SignedIn(SignInResponse Response) : Outcome;

        public sealed record Verified(TokenResponse Token) : Outcome;

        public sealed record Refused(string Code) : Outcome;

        public sealed record Locked(TimeSpan RetryAfter) : Outcome;
    }

    public async Task<Outcome> SignInAsync(LoginRequest request, CancellationToken cancellationToken)
    {
        if (LoginIndex.Validate(request.Login) is not null || string.IsNullOrEmpty(request.Password) || request.Password.Length > PasswordHasher.MaximumLength)
        {
            return new Outcome.Refused(ErrorCodes.InvalidCredentials);
        }

        var account = await accounts.FindByLoginIndexAsync(loginIndex.Compute(request.Login), cancellationToken);
        if (account is not null && await LockedForAsync(account.Id, cancellationToken) is { } retryAfter)
        {
            await audit.DeniedAsync("session.login", account.Id, null, null, ErrorCodes.AccountLocked);
            return new Outcome.Locked(retryAfter);
        }

        if (!await passwords.VerifyAsync(account?.PasswordHash, request.Password, cancellationToken))
        {
            await audit.DeniedAsync("session.login", account?.Id, null, null, ErrorCodes.InvalidCredentials);
            return account is null ? new Outcome.Refused(ErrorCodes.InvalidCredentials) : await FailAsync(account, ErrorCodes.InvalidCredentials, cancellationToken);
        }

        // A right password alone does not clear the failure count: a second step follows (a code, or a device's
        // proof), and only its success does (VerifyAsync, an enrolment, a device session), or anyone holding the password
        // could sign in again between wrong codes and never be locked.
        var before = await accounts.GetSignInStateAsync(account!.Id, cancellationToken);
        await audit.SucceededAsync("session.login", account.Id, null, null);
        var (state, methods) = await factors.NextStepAsync(account, cancellationToken);
        var token = tokens.Issue(account.Id, account.Kind);
        return new Outcome.SignedIn(new SignInResponse(
            token.AccessToken, token.ExpiresAtUnixMs, account.Id, state, methods, before.UnseenFailures, before.LastFailureAt?.ToUnixTimeMilliseconds(),
            await NoticesAsync(account, hasPasskey: state == SignInStates.Required && methods.Contains(SecondFactors.Passkey), cancellationToken)));
    }

    /// <summary>Completes the session's second factor with a code (TOTP, recovery code, or a patient's emailed code).</summary>
    public Task<Outcome> VerifyAsync(Caller caller, SecondFactorRequest request, CancellationToken cancellationToken) =>
        string.IsNullOrWhiteSpace(request.Code) || request.Code.Length > 64 || string.IsNullOrEmpty(request.Method) || request.Method == SecondFactors.Passkey
            ? Task.FromResult<Outcome>(new Outcome.Refused(ErrorCodes.InvalidCode))
            : VerifyAsync(caller, request.Method, account => factors.CheckAsync(account, request.Method, request.Code, cancellationToken), cancellationToken);

    /// <summary>
    /// Completes the session's second factor with <paramref name="method"/>, whose <paramref name="check"/> says whether
    /// the proof holds (passkey assertions come through here too). A failure counts towards the lockout like a wrong
    /// password; a success gives a token whose session is verified by that method.
    /// </summary>
    public async Task<Outcome> VerifyAsync(Caller caller, string method, Func<Account, Task<bool>> check, CancellationToken cancellationToken)
    {
        var account = await accounts.FindAsync(caller.AccountId, cancellationToken);
        if (account is null)
        {
            return new Outcome.Refused(ErrorCodes.InvalidCode);
        }

        if (await LockedForAsync(account.Id, cancellationToken) is { } retryAfter)
        {
            await audit.DeniedAsync("session.second-factor", account.Id, null, method, ErrorCodes.AccountLocked);
            return new Outcome.Locked(retryAfter);
        }

        if (!await check(account))
        {
            await audit.DeniedAsync("session.second-factor", account.Id, null, method, ErrorCodes.InvalidCode);
            return await FailAsync(account, ErrorCodes.InvalidCode, cancellationToken);
        }

        await accounts.RecordSignInSuccessAsync(account.Id, cancellationToken);
        await audit.SucceededAsync("session.second-factor", account.Id, null, method);
        return new Outcome.Verified(tokens.Issue(account.Id, account.Kind, secondFactor: method));
    }

    /// <summary>Admins and operators hold the keys to many people's data: they are pushed to passkeys until they have one.</summary>
    private async Task<IReadOnlyList<string>> NoticesAsync(Account account, bool hasPasskey, CancellationToken cancellationToken)
    {
        if (hasPasskey || account.Kind == Roles.Patient)
        {
            return [];
        }

        var administers = account.Kind == Roles.Operator
            || (await practices.ListForAccountsAsync([account.Id], cancellationToken)).Any(m => m.Role == Roles.Admin);
        return administers ? [SignInNotices.EnrolPasskey] : [];
    }

    private async Task<TimeSpan?> LockedForAsync(Guid accountId, CancellationToken cancellationToken)
    {
        var state = await accounts.GetSignInStateAsync(accountId, cancellationToken);
        var left = state.LockedUntil - time.GetUtcNow();
        return left > TimeSpan.Zero ? left : null;
    }

    /// <summary>Counts a failure; from the threshold on, locks for a time that doubles with each further failure.</summary>
    private async Task<Outcome> FailAsync(Account account, string code, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var state = await accounts.RecordSignInFailureAsync(account.Id, time.GetUtcNow(), cancellationToken);
        var beyond = state.ConsecutiveFailures - limits.FailuresBeforeLockout;
        if (beyond < 0)
        {
            return new Outcome.Refused(code);
        }

        var lockFor = TimeSpan.FromTicks(Math.Min(limits.MaxLockout.Ticks, limits.FirstLockout.Ticks << Math.Min(beyond, 20)));
        await accounts.SetLockedUntilAsync(account.Id, time.GetUtcNow() + lockFor, cancellationToken);
        await audit.DeniedAsync("session.lockout", account.Id, null, null, ErrorCodes.AccountLocked);
        if (beyond == 0 && mail.AddressOf(account) is { } address)
        {
            await mail.TrySendAsync(EmailTemplates.SuspiciousSignIn(address, account.Language), "suspicious-sign-in", account.Id, cancellationToken);
        }

        return new Outcome.Locked(lockFor);
    }
}
