using Messaging.Contracts;
using Messaging.Protocol.Keys;
using Messaging.Server.Features.Accounts.SecondFactor;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Devices;
using Messaging.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Features.Accounts.Sessions;

/// <summary>
/// Device sessions: a verified account opens one for a device by having the device sign a challenge; after that the
/// device alone keeps it going with single-use refresh tokens, each presented with a new signature. A refresh token
/// is <c>family id || 32 random bytes</c> (base64url) and only its hash is stored; presenting a used one again ends
/// the family. Sessions end after <see cref="TokenOptions.SessionInactivityTimeout"/> without a refresh, or
/// <see cref="TokenOptions.SessionAbsoluteTimeout"/> after sign-in.
/// </summary>
internal sealed class DeviceSessionService(
    ISessionStore sessions,
    IDeviceStore devices,
    IAccountStore accounts,
    SessionChallenges challenges,
    TokenIssuer tokens,
    DeviceConnections connections,
    AuditTrail audit,
    IOptions<MessagingOptions> options,
    TimeProvider time)
{
    private TokenOptions Limits => options.Value.Tokens;

    /// <summary>A session for one of the caller's devices, or the error code that refuses it.</summary>
    public async Task<(DeviceSessionResponse? Session, string? Error)> OpenAsync(Caller caller, DeviceSessionRequest request, CancellationToken cancellationToken)
    {
        var device = await devices.FindAsync(request.DeviceId, cancellationToken);
        var error = device is null || device.AccountId != caller.AccountId ? ErrorCodes.NotFound
            : !device.IsActive ? ErrorCodes.DeviceRevoked
            : !ProofHolds(device, request.Challenge, request.Signature) ? ErrorCodes.InvalidProof
            : null;
        var account = error is null ? await accounts.FindAsync(caller.AccountId, cancellationToken) : null;
        if (account is null)
        {
            await audit.DeniedAsync("session.device", caller.AccountId, request.DeviceId, null, error ?? ErrorCodes.NotFound);
            return (null, error ?? ErrorCodes.NotFound);
        }

        var now = time.GetUtcNow();
        var family = new SessionFamily(Guid.NewGuid(), account.Id, device!.Id, now, now, null);
        var refresh = NewRefreshToken(family.Id);
        await sessions.CreateAsync(family, TokenHash.Of(refresh), cancellationToken);
        await accounts.RecordSignInSuccessAsync(account.Id, cancellationToken);
        await audit.SucceededAsync("session.device", account.Id, device.Id, family.Id.ToString());
        return (Respond(account, family, refresh), null);
    }

    /// <summary>New tokens for a refresh token and a fresh proof from its device, or the error code that refuses them.</summary>
    public async Task<(DeviceSessionResponse? Session, string? Error)> RefreshAsync(RefreshRequest request, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var family = TokenHash.IdOf(request.RefreshToken) is { } familyId ? await sessions.FindAsync(familyId, cancellationToken) : null;
        if (family is null || family.DeviceId != request.DeviceId || family.IsRevoked)
        {
            await audit.DeniedAsync("session.refresh", family?.AccountId, request.DeviceId, null, ErrorCodes.SessionEnded);
            return (null, ErrorCodes.SessionEnded);
        }

        var device = await devices.FindAsync(family.DeviceId, cancellationToken);
        if (device is not { IsActive: true } || !ProofHolds(device, request.Challenge, request.Signature))
        {
            await audit.DeniedAsync("session.refresh", family.AccountId, family.DeviceId, family.Id.ToString(), ErrorCodes.InvalidProof);
            return (null, device is { IsActive: true } ? ErrorCodes.InvalidProof : ErrorCodes.SessionEnded);
        }

        if (now - family.LastUsedAt >= Limits.SessionInactivityTimeout || now - family.CreatedAt >= Limits.SessionAbsoluteTimeout)
        {
            await sessions.RevokeAsync(family.Id, now, cancellationToken);
            await audit.DeniedAsync("session.refresh", family.AccountId, family.DeviceId, family.Id.ToString(), ErrorCodes.SessionEnded);
            return (null, ErrorCodes.SessionEnded);
        }

        var next = NewRefreshToken(family.Id);
        var outcome = await sessions.RotateAsync(TokenHash.Of(request.RefreshToken), TokenHash.Of(next), now, cancellationToken);
        if (outcome is RotationOutcome.Reused)
        {
            // Someone else holds a copy of this family's tokens: end it everywhere and tell the audit trail.
            connections.Abort(family.DeviceId);
            await audit.DeniedAsync("session.refresh-reuse", family.AccountId, family.DeviceId, family.Id.ToString(), ErrorCodes.SessionEnded);
        }

        var account = outcome is RotationOutcome.Rotated ? await accounts.FindAsync(family.AccountId, cancellationToken) : null;
        if (account is null)
        {
            return (null, ErrorCodes.SessionEnded);
        }

        return (Respond(account, family, next), null);
    }

    /// <summary>Ends the calling device's session and closes its connections on this node.</summary>
    public async Task SignOutAsync(Caller caller, CancellationToken cancellationToken)
    {
        if (caller.SessionId is { } sessionId)
        {
            await sessions.RevokeAsync(sessionId, time.GetUtcNow(), cancellationToken);
        }

        if (caller.DeviceId is { } deviceId)
        {
            connections.Abort(deviceId);
        }

        await audit.SucceededAsync("session.sign-out", caller.AccountId, caller.DeviceId, caller.SessionId?.ToString());
    }

    /// <summary>Ends every session of the account (all devices) and closes their connections on this node.</summary>
    public async Task SignOutEverywhereAsync(Guid accountId, Guid? byDevice, CancellationToken cancellationToken)
    {
        await sessions.RevokeForAccountAsync(accountId, time.GetUtcNow(), cancellationToken);
        foreach (var device in await devices.ListActiveAsync([accountId], cancellationToken))
        {
            connections.Abort(device.Id);
        }

        await audit.SucceededAsync("session.sign-out-all", accountId, byDevice, null);
    }

    private bool ProofHolds(Device device, byte[]? challenge, byte[]? signature) =>
        challenges.IsValid(challenge) && signature is not null
        && DeviceIdentity.TryParse(device.Identity, out var identity)
        && SessionProof.Verify(identity!, challenge, device.Id, signature);

    private DeviceSessionResponse Respond(Account account, SessionFamily family, string refreshToken)
    {
        var access = tokens.Issue(account.Id, account.Kind, family.DeviceId, sessionId: family.Id);
        var sessionEnds = family.CreatedAt + Limits.SessionAbsoluteTimeout;
        return new DeviceSessionResponse(access.AccessToken, access.ExpiresAtUnixMs, account.Id, family.DeviceId, refreshToken, sessionEnds.ToUnixTimeMilliseconds());
    }

    private static string NewRefreshToken(Guid familyId) => TokenHash.NewTokenFor(familyId);
}
