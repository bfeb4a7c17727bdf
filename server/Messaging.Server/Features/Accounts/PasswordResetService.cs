using Messaging.Contracts;
using Messaging.Server.Features.Accounts.SecondFactor;
using Messaging.Server.Features.Accounts.Sessions;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Notifications.Email;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Features.Accounts;

/// <summary>
/// Password reset by a link sent to the account's email address. It changes the password and ends every session,
/// and nothing more: the second factor stays, so the next sign-in still asks for it (a reset never bypasses it).
/// The token is <c>account id || 32 random bytes</c>, single use, hashed at rest, with few attempts allowed.
/// </summary>
internal sealed class PasswordResetService(
    IAccountStore accounts,
    ISecondFactorStore codes,
    CodeHasher hasher,
    LoginIndex loginIndex,
    PasswordHasher passwords,
    PasswordPolicy policy,
    DeviceSessionService sessions,
    AccountMail mail,
    AuditTrail audit,
    IOptions<AccountOptions> options,
    TimeProvider time)
{
    public const string Purpose = "password-reset";

    /// <summary>Sends a link when the login exists and has an address. The answer is the same either way.</summary>
    public async Task RequestAsync(PasswordResetRequest request, CancellationToken cancellationToken)
    {
        if (LoginIndex.Validate(request.Login) is not null
            || await accounts.FindByLoginIndexAsync(loginIndex.Compute(request.Login), cancellationToken) is not { } account
            || mail.AddressOf(account) is not { } address)
        {
            return;
        }

        var token = TokenHash.NewTokenFor(account.Id);
        await codes.SaveCodeAsync(
            new OneTimeCode(account.Id, Purpose, hasher.Hash(Purpose, account.Id, token), time.GetUtcNow() + options.Value.PasswordResetLifetime), cancellationToken);
        await audit.SucceededAsync("password.reset-request", account.Id, null, null);
        await mail.TrySendAsync(EmailTemplates.PasswordReset(address, account.Language, mail.Link("reset", token)), "password-reset", account.Id, cancellationToken);
    }

    /// <summary>Null on success, else (code, detail) for the problem answer.</summary>
    public async Task<(string Code, string Detail)?> CompleteAsync(CompletePasswordResetRequest request, CancellationToken cancellationToken)
    {
        var accountId = TokenHash.IdOf(request.Token);
        var account = accountId is { } id ? await accounts.FindAsync(id, cancellationToken) : null;
        if (account is null)
        {
            return (ErrorCodes.InvalidCode, "This reset link is not valid.");
        }

        if (policy.Check(request.NewPassword, null) is { } weak)
        {
            return (ErrorCodes.InvalidRequest, weak);
        }

        if (!await codes.TryUseCodeAsync(account.Id, Purpose, hasher.Hash(Purpose, account.Id, request.Token), time.GetUtcNow(), options.Value.MaxCodeAttempts, cancellationToken))
        {
            await audit.DeniedAsync("password.reset", account.Id, null, null, ErrorCodes.InvalidCode);
            return (ErrorCodes.InvalidCode, "This reset link is used, expired or not valid.");
        }

        await accounts.UpdatePasswordAsync(account.Id, await passwords.HashAsync(request.NewPassword, cancellationToken), cancellationToken);
        await accounts.RecordSignInSuccessAsync(account.Id, cancellationToken);
        await sessions.SignOutEverywhereAsync(account.Id, null, cancellationToken);
        await audit.SucceededAsync("password.reset", account.Id, null, null);
        return null;
    }
}
