using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Conversations;
using Messaging.Server.Features.Delivery;
using Messaging.Server.Features.Devices;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Features.Practices;

/// <summary>
/// A patient's consent to receive messages. Without active consent to the current terms nothing is delivered to them:
/// their devices leave every recipient list (<see cref="PracticeAccess.ParticipantsAsync"/>), and a withdrawal also
/// deletes the copies waiting for them. Every change is audited.
/// </summary>
internal sealed class ConsentService(
    IAccountStore accounts,
    IDeviceStore devices,
    IMessageStore messages,
    RoutingChanges routing,
    AuditTrail audit,
    IOptions<AccountOptions> options,
    TimeProvider time)
{
    public async Task<ConsentInfo?> GetAsync(Caller caller, CancellationToken cancellationToken) =>
        await accounts.FindAsync(caller.AccountId, cancellationToken) is { Kind: Roles.Patient } account
            ? ToInfo(account.Consent)
            : await RefuseAsync("consent.read", caller, ErrorCodes.Forbidden, cancellationToken);

    /// <summary>Gives consent to <paramref name="termsVersion"/>, which must be the current terms.</summary>
    public async Task<ConsentInfo?> GiveAsync(Caller caller, string termsVersion, CancellationToken cancellationToken)
    {
        if (!caller.IsPatient || termsVersion != options.Value.TermsVersion)
        {
            return await RefuseAsync("consent.give", caller, caller.IsPatient ? ErrorCodes.InvalidRequest : ErrorCodes.Forbidden, cancellationToken);
        }

        var consent = new Consent(termsVersion, time.GetUtcNow(), null);
        await accounts.SetConsentAsync(caller.AccountId, consent, cancellationToken);
        routing.Changed();
        await audit.SucceededAsync("consent.give", caller.AccountId, caller.DeviceId, termsVersion);
        return ToInfo(consent);
    }

    /// <summary>Withdraws consent: delivery stops now, and what waits for the patient's devices is deleted.</summary>
    public async Task<ConsentInfo?> WithdrawAsync(Caller caller, CancellationToken cancellationToken)
    {
        if (await accounts.FindAsync(caller.AccountId, cancellationToken) is not { Kind: Roles.Patient } account)
        {
            return await RefuseAsync("consent.withdraw", caller, ErrorCodes.Forbidden, cancellationToken);
        }

        var now = time.GetUtcNow();
        var consent = (account.Consent ?? new Consent(options.Value.TermsVersion, now, null)) with { WithdrawnAt = account.Consent?.WithdrawnAt ?? now };
        await accounts.SetConsentAsync(account.Id, consent, cancellationToken);
        routing.Changed();
        foreach (var device in await devices.ListActiveAsync([account.Id], cancellationToken))
        {
            await messages.DeleteQueueAsync(device.Id, cancellationToken);
        }

        await audit.SucceededAsync("consent.withdraw", account.Id, caller.DeviceId, consent.TermsVersion);
        return ToInfo(consent);
    }

    private async Task<ConsentInfo?> RefuseAsync(string action, Caller caller, string reason, CancellationToken cancellationToken)
    {
        await audit.DeniedAsync(action, caller.AccountId, caller.DeviceId, null, reason);
        return null;
    }

    private ConsentInfo ToInfo(Consent? consent) => new(
        options.Value.TermsVersion, consent?.TermsVersion, consent?.GivenAt.ToUnixTimeMilliseconds(), consent?.WithdrawnAt?.ToUnixTimeMilliseconds());
}
