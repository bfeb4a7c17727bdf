using Messaging.Contracts;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Devices;

namespace Messaging.Server.Features.Accounts;

internal sealed class AccountService(
    IAccountStore accounts,
    IDeviceStore devices,
    PasswordHasher passwords,
    LoginIndex loginIndex,
    TokenIssuer tokens,
    AuditTrail audit,
    TimeProvider time)
{
    public abstract record CreateOutcome
    {
        public sealed record Created(Guid AccountId) : CreateOutcome;

        public sealed record Invalid(string Detail) : CreateOutcome;

        public sealed record LoginTaken : CreateOutcome;
    }

    public async Task<CreateOutcome> CreateAsync(CreateAccountRequest request, Guid? createdBy, CancellationToken cancellationToken)
    {
        var problem = LoginIndex.Validate(request.Login)
            ?? PasswordHasher.Validate(request.Password)
            ?? (Roles.IsKnown(request.Role ?? "") ? null : "The role must be one of: admin, member.");
        if (problem is not null)
        {
            return new CreateOutcome.Invalid(problem);
        }

        var account = new Account(
            Guid.NewGuid(),
            loginIndex.Compute(request.Login),
            await passwords.HashAsync(request.Password, cancellationToken),
            request.Role!,
            time.GetUtcNow());
        if (!await accounts.TryCreateAsync(account, cancellationToken))
        {
            return new CreateOutcome.LoginTaken();
        }

        await audit.SucceededAsync("account.create", createdBy, null, account.Id.ToString(), cancellationToken);
        return new CreateOutcome.Created(account.Id);
    }

    /// <summary>A token for the account, or null (and an audit record) when the credentials are wrong.</summary>
    public async Task<TokenResponse?> LoginAsync(LoginRequest request, CancellationToken cancellationToken)
    {
        if (LoginIndex.Validate(request.Login) is not null || string.IsNullOrEmpty(request.Password) || request.Password.Length > PasswordHasher.MaximumLength)
        {
            return null;
        }

        var account = await accounts.FindByLoginIndexAsync(loginIndex.Compute(request.Login), cancellationToken);
        if (!await passwords.VerifyAsync(account?.PasswordHash, request.Password, cancellationToken))
        {
            await audit.DeniedAsync("session.login", account?.Id, null, null, ErrorCodes.InvalidCredentials, cancellationToken);
            return null;
        }

        await audit.SucceededAsync("session.login", account!.Id, null, null, cancellationToken);
        return tokens.Issue(account, deviceId: null);
    }

    /// <summary>A token bound to one of the caller's active devices, or the error code that refuses it.</summary>
    public async Task<(TokenResponse? Token, string? Error)> IssueDeviceTokenAsync(Caller caller, Guid deviceId, CancellationToken cancellationToken)
    {
        var account = await accounts.FindAsync(caller.AccountId, cancellationToken);
        var device = await devices.FindAsync(deviceId, cancellationToken);
        var error = account is null || device is null || device.AccountId != caller.AccountId ? ErrorCodes.NotFound
            : !device.IsActive ? ErrorCodes.DeviceRevoked
            : null;
        if (error is not null)
        {
            await audit.DeniedAsync("session.device", caller.AccountId, deviceId, null, error, cancellationToken);
            return (null, error);
        }

        return (tokens.Issue(account!, deviceId), null);
    }
}
