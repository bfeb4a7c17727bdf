using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Fido2NetLib;
using Fido2NetLib.Objects;
using Messaging.Contracts;
using Messaging.Server.Features.Audit;
using Ceremony = Messaging.Server.Features.Accounts.SecondFactor.PasskeyState.Ceremony;

namespace Messaging.Server.Features.Accounts.SecondFactor;

/// <summary>
/// WebAuthn passkeys as a second factor, over the Fido2 library: enrolment (registration) and the check after a
/// password (assertion). Each ceremony has two requests; what the second needs from the first travels with the client
/// in a sealed <see cref="PasskeyState"/>. An assertion's challenge is also used once, through the store's one-time
/// codes: synced passkeys keep their signature counter at zero, so the counter alone would not stop a replay.
/// </summary>
internal sealed partial class PasskeyService(
    IFido2 fido2,
    PasskeyState states,
    ISecondFactorStore store,
    SecondFactorService factors,
    AuditTrail audit,
    TimeProvider time,
    ILogger<PasskeyService> logger)
{
    /// <summary>The one-time code purpose under which the pending assertion challenge is kept (one per account).</summary>
    public const string AssertionPurpose = "passkey-assertion";

    // A stale challenge (replaced by a newer begin) answered with a valid signature counts as a wrong attempt; after a
    // few the pending challenge is dropped and the person begins again.
    private const int MaxChallengeAttempts = 5;

    // WebAuthn credential ids are at most 1023 bytes.
    private const int MaxCredentialIdLength = 1023;

    /// <summary>
    /// Registration options for a new passkey, or null when the account has a strong second factor already and this
    /// session did not pass one: a stolen password must not be enough to add the thief's passkey.
    /// </summary>
    public async Task<PasskeyOptionsResponse?> BeginRegistrationAsync(Caller caller, CancellationToken cancellationToken)
    {
        if (!await MayAddAsync(caller, "mfa.passkey.begin", cancellationToken))
        {
            return null;
        }

        var existing = await store.ListPasskeysAsync(caller.AccountId, cancellationToken);
        var label = Label(caller.AccountId);
        var options = fido2.RequestNewCredential(new RequestNewCredentialParams
        {
            // The user handle is stored on the authenticator and comes back with assertions: random bytes, one value per
            // account (kept with its passkeys), never a name or an address. The labels are shown by the authenticator.
            User = new Fido2User { Id = existing.Count > 0 ? existing[0].UserHandle : RandomNumberGenerator.GetBytes(16), Name = label, DisplayName = label },
            ExcludeCredentials = [.. existing.Select(p => new PublicKeyCredentialDescriptor(p.CredentialId))],
            // A second factor after a password: the account is known, so credentials need not be discoverable, and
            // security keys keep their few resident slots.
            AuthenticatorSelection = new AuthenticatorSelection
            {
                ResidentKey = ResidentKeyRequirement.Discouraged,
                UserVerification = UserVerificationRequirement.Preferred,
            },
            AttestationPreference = AttestationConveyancePreference.None,
        });
        return Respond(Ceremony.Registration, caller.AccountId, options.ToJson(), states.ExpiryOfNew);
    }

    /// <summary>
    /// Verifies the browser's attestation against the sealed options, stores the passkey and ends the enrolment like
    /// TOTP does (recovery codes, a token verified by the passkey). The error is a <see cref="ErrorCodes"/> value.
    /// </summary>
    public async Task<(SecondFactorEnrolled? Enrolled, string? Error)> CompleteRegistrationAsync(
        Caller caller, string? state, JsonElement attestation, CancellationToken cancellationToken)
    {
        // Checked again: another factor may have been enrolled since the options were given.
        if (!await MayAddAsync(caller, "mfa.passkey.register", cancellationToken))
        {
            return (null, ErrorCodes.SecondFactorRequired);
        }

        var (json, refusal) = states.Open(state, Ceremony.Registration, caller.AccountId);
        if (json is null)
        {
            return await RefuseRegistrationAsync(caller, refusal.ToString(), cancellationToken);
        }

        var options = CredentialCreateOptions.FromJson(json);
        RegisteredPublicKeyCredential credential;
        try
        {
            var response = attestation.Deserialize<AuthenticatorAttestationRawResponse>() ?? throw new JsonException("null attestation");
            credential = await fido2.MakeNewCredentialAsync(
                new MakeNewCredentialParams
                {
                    AttestationResponse = response,
                    OriginalOptions = options,
                    // Checked below, outside this block, so that a store failure is not mistaken for a bad attestation.
                    IsCredentialIdUniqueToUserCallback = (_, _) => Task.FromResult(true),
                },
                cancellationToken);
        }
        catch (Exception e) when (IsRefusal(e))
        {
            return await RefuseRegistrationAsync(caller, Reason(e), cancellationToken);
        }

        if (credential.Id is not { Length: > 0 and <= MaxCredentialIdLength } || await store.FindPasskeyAsync(credential.Id, cancellationToken) is not null)
        {
            return await RefuseRegistrationAsync(caller, "credential-id-taken", cancellationToken);
        }

        await store.AddPasskeyAsync(
            new Passkey(credential.Id, caller.AccountId, credential.PublicKey, credential.SignCount, options.User.Id, time.GetUtcNow()), cancellationToken);
        return (await factors.EnrolledAsync(caller, SecondFactors.Passkey, cancellationToken), null);
    }

    /// <summary>Assertion options listing the account's passkeys, or null when it has none.</summary>
    public async Task<PasskeyOptionsResponse?> BeginAssertionAsync(Caller caller, CancellationToken cancellationToken)
    {
        var passkeys = await store.ListPasskeysAsync(caller.AccountId, cancellationToken);
        if (passkeys.Count == 0)
        {
            await audit.DeniedAsync("session.passkey.options", caller.AccountId, caller.DeviceId, null, ErrorCodes.NotFound);
            return null;
        }

        var options = fido2.GetAssertionOptions(new GetAssertionOptionsParams
        {
            AllowedCredentials = [.. passkeys.Select(p => new PublicKeyCredentialDescriptor(p.CredentialId))],
            UserVerification = UserVerificationRequirement.Preferred,
        });
        var expiresAt = states.ExpiryOfNew;

        // Replaces any earlier pending challenge of the account: the latest begin is the one that can complete.
        await store.SaveCodeAsync(new OneTimeCode(caller.AccountId, AssertionPurpose, SHA256.HashData(options.Challenge), expiresAt), cancellationToken);
        return Respond(Ceremony.Assertion, caller.AccountId, options.ToJson(), expiresAt);
    }

    /// <summary>
    /// Whether <paramref name="assertion"/> proves one of the account's passkeys over the challenge sealed in
    /// <paramref name="state"/>. On success the challenge is used up and the signature counter stored. Refusals are
    /// counted and audited by <see cref="Sessions.SignInService.VerifyAsync(Caller, string, Func{Account, Task{bool}}, CancellationToken)"/>.
    /// </summary>
    public async Task<bool> CheckAssertionAsync(Account account, string? state, JsonElement assertion, CancellationToken cancellationToken)
    {
        var (json, refusal) = states.Open(state, Ceremony.Assertion, account.Id);
        if (json is null)
        {
            return Refuse(account.Id, refusal.ToString());
        }

        var options = AssertionOptions.FromJson(json);
        AuthenticatorAssertionRawResponse? response;
        try
        {
            response = assertion.Deserialize<AuthenticatorAssertionRawResponse>();
        }
        catch (Exception e) when (IsRefusal(e))
        {
            return Refuse(account.Id, Reason(e));
        }

        if (response?.RawId is not { Length: > 0 and <= MaxCredentialIdLength }
            || await store.FindPasskeyAsync(response.RawId, cancellationToken) is not { } passkey
            || passkey.AccountId != account.Id)
        {
            return Refuse(account.Id, "unknown-credential");
        }

        VerifyAssertionResult result;
        try
        {
            result = await fido2.MakeAssertionAsync(
                new MakeAssertionParams
                {
                    AssertionResponse = response,
                    OriginalOptions = options,
                    StoredPublicKey = passkey.PublicKey,
                    StoredSignatureCounter = passkey.SignCount,
                    IsUserHandleOwnerOfCredentialIdCallback = (p, _) => Task.FromResult(
                        p.CredentialId.AsSpan().SequenceEqual(passkey.CredentialId) && CryptographicOperations.FixedTimeEquals(p.UserHandle, passkey.UserHandle)),
                },
                cancellationToken);
        }
        catch (Exception e) when (IsRefusal(e))
        {
            return Refuse(account.Id, Reason(e));
        }

        // Fido2 refuses a counter that does not grow only when the new one is non-zero; an authenticator that counted
        // and now says zero is just as suspect (a clone, or a replay of an old response), so refuse that too.
        if ((passkey.SignCount > 0 || result.SignCount > 0) && result.SignCount <= passkey.SignCount)
        {
            return Refuse(account.Id, "counter-not-increased");
        }

        if (!await store.TryUseCodeAsync(account.Id, AssertionPurpose, SHA256.HashData(options.Challenge), time.GetUtcNow(), MaxChallengeAttempts, cancellationToken))
        {
            return Refuse(account.Id, "challenge-used");
        }

        await store.UpdatePasskeyCounterAsync(passkey.CredentialId, result.SignCount, cancellationToken);
        return true;
    }

    /// <summary>An opaque label for the authenticator's account picker: part of the account id, never a name or email.</summary>
    private static string Label(Guid accountId) => accountId.ToString("N", CultureInfo.InvariantCulture)[..8];

    /// <summary>
    /// Everything inside the guarded blocks parses and checks bytes the client chose (JSON, CBOR, COSE keys, DER
    /// signatures), without touching the store: whatever it throws means the proof does not hold, not that the server
    /// failed. Cancellation still propagates.
    /// </summary>
    private static bool IsRefusal(Exception e) => e is not OperationCanceledException;

    /// <summary>A reason fit for the log: the library's error code or the exception's type, never its message.</summary>
    private static string Reason(Exception e) => e is Fido2VerificationException fido ? fido.Code.ToString() : e.GetType().Name;

    private PasskeyOptionsResponse Respond(Ceremony ceremony, Guid accountId, string optionsJson, DateTimeOffset expiresAt) =>
        new(JsonElement.Parse(optionsJson), states.Seal(ceremony, accountId, expiresAt, optionsJson));

    private async Task<bool> MayAddAsync(Caller caller, string action, CancellationToken cancellationToken)
    {
        if (caller.SecondFactor is SecondFactors.Totp or SecondFactors.Passkey or SecondFactors.RecoveryCode
            || (await factors.StrongMethodsAsync(caller.AccountId, cancellationToken)).Count == 0)
        {
            return true;
        }

        await audit.DeniedAsync(action, caller.AccountId, caller.DeviceId, null, ErrorCodes.SecondFactorRequired);
        return false;
    }

    private async Task<(SecondFactorEnrolled?, string?)> RefuseRegistrationAsync(Caller caller, string reason, CancellationToken cancellationToken)
    {
        LogRefused(logger, "registration", caller.AccountId, reason);
        await audit.DeniedAsync("mfa.passkey.register", caller.AccountId, caller.DeviceId, null, ErrorCodes.InvalidCode);
        return (null, ErrorCodes.InvalidCode);
    }

    private bool Refuse(Guid accountId, string reason)
    {
        LogRefused(logger, "assertion", accountId, reason);
        return false;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Passkey {Ceremony} refused for account {AccountId}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string ceremony, Guid accountId, string reason);
}
