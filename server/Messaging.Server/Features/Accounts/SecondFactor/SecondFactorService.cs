using System.Security.Cryptography;
using Messaging.Contracts;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Notifications.Email;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Features.Accounts.SecondFactor;

/// <summary>
/// Second factors: TOTP enrolment and checks, single-use recovery codes, passkey enrolment's common end, and the
/// code a patient receives by email when a new device signs in. Staff and operators must have one before their
/// session may reach anything (<see cref="Caller.IsVerified"/>).
/// </summary>
internal sealed class SecondFactorService(
    ISecondFactorStore store,
    IAccountStore accounts,
    SecretSealer sealer,
    CodeHasher codes,
    TokenIssuer tokens,
    AccountMail mail,
    AuditTrail audit,
    IOptions<AccountOptions> options,
    TimeProvider time)
{
    public const string EmailCodePurpose = "sign-in";

    /// <summary>How long a begun TOTP enrolment may be confirmed.</summary>
    public static readonly TimeSpan EnrolmentLifetime = TimeSpan.FromMinutes(10);

    /// <summary>What a session must do after its password (a <see cref="SignInStates"/> value), and with which methods.</summary>
    public async Task<(string State, IReadOnlyList<string> Methods)> NextStepAsync(Account account, CancellationToken cancellationToken)
    {
        if (account.Kind == Roles.Patient)
        {
            return (SignInStates.Satisfied, [SecondFactors.EmailCode]);
        }

        var methods = await StrongMethodsAsync(account.Id, cancellationToken);
        return methods.Count == 0 ? (SignInStates.EnrolmentRequired, [SecondFactors.Totp, SecondFactors.Passkey]) : (SignInStates.Required, methods);
    }

    public async Task<bool> CheckAsync(Account account, string method, string code, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        switch (method)
        {
            case SecondFactors.Totp:
                return await store.FindTotpAsync(account.Id, cancellationToken) is { Confirmed: true } totp
                    && TotpAuthenticator.Match(sealer.Open(totp.SealedSecret, account.Id), code, now) is { } step
                    && await store.TryUseTotpStepAsync(account.Id, step, cancellationToken);
            case SecondFactors.RecoveryCode:
                return await store.TryUseRecoveryCodeAsync(account.Id, codes.Hash(SecondFactors.RecoveryCode, account.Id, code), now, cancellationToken);
            case SecondFactors.EmailCode when account.Kind == Roles.Patient:
                return await store.TryUseCodeAsync(
                    account.Id, EmailCodePurpose, codes.Hash(EmailCodePurpose, account.Id, code), now, options.Value.MaxCodeAttempts, cancellationToken);
            default:
                return false;
        }
    }

    /// <summary>Emails a patient a 6-digit code for signing in on a new device; false when there is no address.</summary>
    public async Task<bool> SendEmailCodeAsync(Caller caller, CancellationToken cancellationToken)
    {
        var account = await accounts.FindAsync(caller.AccountId, cancellationToken);
        if (account is not { Kind: Roles.Patient } || mail.AddressOf(account) is not { } address)
        {
            return false;
        }

        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        var lifetime = options.Value.EmailCodeLifetime;
        await store.SaveCodeAsync(new OneTimeCode(account.Id, EmailCodePurpose, codes.Hash(EmailCodePurpose, account.Id, code), time.GetUtcNow() + lifetime), cancellationToken);
        await audit.SucceededAsync("session.email-code", account.Id, null, null);
        return await mail.TrySendAsync(EmailTemplates.SignInCode(address, account.Language, code, (int)lifetime.TotalMinutes), "sign-in-code", account.Id, cancellationToken);
    }

    /// <summary>
    /// Starts a TOTP enrolment: a new secret, returned with a sealed state (the secret and an expiry, sealed to this
    /// account). Nothing is stored until the first code confirms it, so the current second factor stays in force until
    /// then. Replacing a confirmed TOTP needs a session that already passed a strong factor, so that a stolen password
    /// cannot swap the second factor for the thief's.
    /// </summary>
    public async Task<TotpEnrolment?> BeginTotpAsync(Caller caller, CancellationToken cancellationToken)
    {
        if (!HasStrongSession(caller) && (await StrongMethodsAsync(caller.AccountId, cancellationToken)).Count > 0)
        {
            await audit.DeniedAsync("mfa.totp.begin", caller.AccountId, caller.DeviceId, null, ErrorCodes.SecondFactorRequired);
            return null;
        }

        var secret = TotpAuthenticator.NewSecret();
        var expires = time.GetUtcNow() + EnrolmentLifetime;
        var state = TokenHash.Base64Url(sealer.Seal([.. BitConverter.GetBytes(expires.ToUnixTimeMilliseconds()), .. secret], caller.AccountId));
        return new TotpEnrolment(TotpAuthenticator.Encode(secret), TotpAuthenticator.Uri(secret, caller.AccountId), state);
    }

    /// <summary>Confirms a TOTP enrolment with a first code: the secret is stored, and the session then counts as verified.</summary>
    public async Task<SecondFactorEnrolled?> ConfirmTotpAsync(Caller caller, string code, string state, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var secret = OpenEnrolment(state, caller.AccountId, now);
        var step = secret is null || string.IsNullOrWhiteSpace(code) ? null : TotpAuthenticator.Match(secret, code, now);
        if (step is null || (!HasStrongSession(caller) && (await StrongMethodsAsync(caller.AccountId, cancellationToken)).Count > 0))
        {
            await audit.DeniedAsync("mfa.totp.confirm", caller.AccountId, caller.DeviceId, null, ErrorCodes.InvalidCode);
            return null;
        }

        // The confirming code's step counts as used: the same code cannot then open a session.
        await store.SaveTotpAsync(new TotpSecret(caller.AccountId, sealer.Seal(secret!, caller.AccountId), true, step.Value, now), cancellationToken);
        return await EnrolledAsync(caller, SecondFactors.Totp, cancellationToken);
    }

    /// <summary>
    /// The common end of an enrolment (TOTP or passkey): recovery codes when the account had none, and a token whose
    /// session counts as verified by the new factor.
    /// </summary>
    public async Task<SecondFactorEnrolled> EnrolledAsync(Caller caller, string method, CancellationToken cancellationToken)
    {
        var account = await accounts.FindAsync(caller.AccountId, cancellationToken)
            ?? throw new InvalidOperationException("The account of a signed-in caller does not exist.");
        IReadOnlyList<string> recovery = await store.CountUnusedRecoveryCodesAsync(account.Id, cancellationToken) == 0
            ? await NewRecoveryCodesAsync(account.Id, cancellationToken)
            : [];
        await accounts.RecordSignInSuccessAsync(account.Id, cancellationToken);
        await audit.SucceededAsync($"mfa.{method}.enrol", account.Id, caller.DeviceId, null);
        return new SecondFactorEnrolled(recovery, tokens.Issue(account.Id, account.Kind, secondFactor: method));
    }

    /// <summary>Replaces the recovery codes (a verified session only: the policy on the route says so).</summary>
    public async Task<RecoveryCodes> RegenerateRecoveryCodesAsync(Caller caller, CancellationToken cancellationToken)
    {
        var fresh = await NewRecoveryCodesAsync(caller.AccountId, cancellationToken);
        await audit.SucceededAsync("mfa.recovery.regenerate", caller.AccountId, caller.DeviceId, null);
        return new RecoveryCodes(fresh);
    }

    public async Task<IReadOnlyList<string>> StrongMethodsAsync(Guid accountId, CancellationToken cancellationToken)
    {
        var methods = new List<string>();
        if (await store.FindTotpAsync(accountId, cancellationToken) is { Confirmed: true })
        {
            methods.Add(SecondFactors.Totp);
        }

        if ((await store.ListPasskeysAsync(accountId, cancellationToken)).Count > 0)
        {
            methods.Add(SecondFactors.Passkey);
        }

        if (methods.Count > 0 && await store.CountUnusedRecoveryCodesAsync(accountId, cancellationToken) > 0)
        {
            methods.Add(SecondFactors.RecoveryCode);
        }

        return methods;
    }

    /// <summary>The secret in an enrolment state, if the state is this account's, intact and not expired.</summary>
    private byte[]? OpenEnrolment(string? state, Guid accountId, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(state) || state.Length > 256 || TokenHash.FromBase64Url(state) is not { } sealedSecret)
        {
            return null;
        }

        try
        {
            var opened = sealer.Open(sealedSecret, accountId);
            return opened.Length == 8 + TotpAuthenticator.SecretBytes && BitConverter.ToInt64(opened, 0) > now.ToUnixTimeMilliseconds()
                ? opened[8..]
                : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static bool HasStrongSession(Caller caller) => caller.SecondFactor is SecondFactors.Totp or SecondFactors.Passkey or SecondFactors.RecoveryCode;

    /// <summary>Ten codes of 10 base32 characters (50 bits each), shown as two groups of five.</summary>
    private async Task<IReadOnlyList<string>> NewRecoveryCodesAsync(Guid accountId, CancellationToken cancellationToken)
    {
        const string alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
        var fresh = Enumerable.Range(0, options.Value.RecoveryCodeCount).Select(_ =>
        {
            var chars = RandomNumberGenerator.GetItems<char>(alphabet, 10);
            return $"{new string(chars, 0, 5)}-{new string(chars, 5, 5)}";
        }).ToList();
        await store.ReplaceRecoveryCodesAsync(accountId, [.. fresh.Select(c => codes.Hash(SecondFactors.RecoveryCode, accountId, c))], cancellationToken);
        return fresh;
    }
}
