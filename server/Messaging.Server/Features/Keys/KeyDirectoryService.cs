using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Conversations;
using Messaging.Server.Features.Devices;
using DeviceIdentity = Messaging.Protocol.Keys.DeviceIdentity;

namespace Messaging.Server.Features.Keys;

/// <summary>
/// The key directory: devices publish their public prekeys, and the devices that may talk to an account fetch one
/// bundle per device of it, each fetch consuming one-time prekeys. Every refusal is audited.
/// </summary>
internal sealed partial class KeyDirectoryService(
    IPrekeyStore prekeys,
    IDeviceStore devices,
    ConversationService conversations,
    DevicePush push,
    AuditTrail audit,
    TimeProvider time,
    ILogger<KeyDirectoryService> logger)
{
    /// <summary>Below this many one-time prekeys of either kind, a device is told to upload more.</summary>
    public const int LowWaterMark = 10;

    public async Task<(PrekeyStatus? Status, KeyError? Error)> UploadAsync(
        Caller caller, Guid deviceId, UploadPrekeysRequest request, CancellationToken cancellationToken)
    {
        const string Action = "keys.upload";
        var (device, refused) = await OwnDeviceAsync(caller, deviceId, Action, cancellationToken);
        if (device is null)
        {
            return (null, refused);
        }

        var (upload, invalid) = DeviceIdentity.TryParse(device.Identity, out var identity)
            ? PrekeyValidation.Check(identity!, deviceId, request, time.GetUtcNow())
            : (null, new KeyError(ErrorCodes.InvalidRequest, "The device has no valid identity: register the device again."));
        if (upload is null)
        {
            return (null, await DenyAsync(Action, caller, deviceId.ToString(), invalid!, cancellationToken));
        }

        var stored = await prekeys.UploadAsync(upload, PrekeyValidation.MaxStoredPerKind, CancellationToken.None);
        var error = stored switch
        {
            PrekeyUploadStatus.Stored => null,
            PrekeyUploadStatus.IdConflict => new KeyError(ErrorCodes.Conflict, "A one-time prekey id is already stored with another key."),
            _ => new KeyError(ErrorCodes.InvalidRequest, $"A device keeps at most {PrekeyValidation.MaxStoredPerKind} one-time prekeys of each kind."),
        };
        if (error is not null)
        {
            return (null, await DenyAsync(Action, caller, deviceId.ToString(), error, cancellationToken));
        }

        await audit.SucceededAsync(Action, caller.AccountId, caller.DeviceId, deviceId.ToString());
        return (await StatusOfAsync(deviceId, cancellationToken), null);
    }

    public async Task<(PrekeyStatus? Status, KeyError? Error)> StatusAsync(Caller caller, Guid deviceId, CancellationToken cancellationToken)
    {
        var (device, refused) = await OwnDeviceAsync(caller, deviceId, "keys.status", cancellationToken);
        return device is null ? (null, refused) : (await StatusOfAsync(deviceId, cancellationToken), null);
    }

    /// <summary>
    /// One bundle per active device of the account that has published keys, the caller's device excepted. The caller
    /// may fetch its own account's (its other devices) and those of accounts it shares a conversation with; any other
    /// account is answered as if it did not exist.
    /// </summary>
    public async Task<(PrekeyBundles? Bundles, KeyError? Error)> FetchBundlesAsync(Caller caller, Guid accountId, CancellationToken cancellationToken)
    {
        const string Action = "keys.bundles";
        var callerDevice = caller.DeviceId ?? throw new InvalidOperationException("The device policy lets only device tokens through.");
        if (await devices.FindAsync(callerDevice, cancellationToken) is not { IsActive: true } own || own.AccountId != caller.AccountId)
        {
            return (null, await DenyAsync(Action, caller, accountId.ToString(), Revoked, cancellationToken));
        }

        if (accountId != caller.AccountId && !await conversations.SharesUsableConversationAsync(caller.AccountId, accountId, cancellationToken))
        {
            return (null, await DenyAsync(Action, caller, accountId.ToString(), new KeyError(ErrorCodes.NotFound, "The account was not found."), cancellationToken));
        }

        var bundles = new List<PrekeyBundleInfo>();
        foreach (var device in await devices.ListActiveAsync([accountId], cancellationToken))
        {
            if (device.Id == callerDevice || await prekeys.ClaimAsync(device.Id, CancellationToken.None) is not { } claimed)
            {
                continue;
            }

            bundles.Add(new PrekeyBundleInfo(
                device.Id,
                device.Identity,
                new SignedPrekeyInfo(claimed.SignedPrekey.Id, claimed.SignedPrekey.PublicKey, claimed.SignedPrekey.Signature!),
                claimed.OneTimePrekey is { } opk ? new OneTimePrekeyInfo(opk.Id, opk.PublicKey) : null,
                new PqPrekeyInfo(claimed.PqPrekey.Id, claimed.PqPrekey.PublicKey, claimed.PqPrekey.Signature!, claimed.LastResort)));
            await WarnIfLowAsync(device.Id);
        }

        await audit.SucceededAsync(Action, caller.AccountId, caller.DeviceId, accountId.ToString());
        return (new PrekeyBundles(accountId, bundles), null);
    }

    private static KeyError Revoked => new(ErrorCodes.DeviceRevoked, "This device is revoked or not the caller's.");

    /// <summary>The device named in the route, if it is the caller's own device (the one in its token) and active.</summary>
    private async Task<(Device? Device, KeyError? Error)> OwnDeviceAsync(Caller caller, Guid deviceId, string action, CancellationToken cancellationToken)
    {
        if (caller.DeviceId != deviceId)
        {
            var forbidden = new KeyError(ErrorCodes.Forbidden, "A device manages only its own prekeys.");
            return (null, await DenyAsync(action, caller, deviceId.ToString(), forbidden, cancellationToken));
        }

        var device = await devices.FindAsync(deviceId, cancellationToken);
        return device is { IsActive: true } && device.AccountId == caller.AccountId
            ? (device, null)
            : (null, await DenyAsync(action, caller, deviceId.ToString(), Revoked, cancellationToken));
    }

    private async Task<KeyError> DenyAsync(string action, Caller caller, string target, KeyError error, CancellationToken cancellationToken)
    {
        await audit.DeniedAsync(action, caller.AccountId, caller.DeviceId, target, error.Code);
        return error;
    }

    private async Task<PrekeyStatus> StatusOfAsync(Guid deviceId, CancellationToken cancellationToken)
    {
        var counts = await prekeys.CountAsync(deviceId, cancellationToken);
        return new PrekeyStatus
        {
            DeviceId = deviceId,
            OneTimePrekeys = counts.OneTimePrekeys,
            KemOneTimePrekeys = counts.KemOneTimePrekeys,
            HasSignedPrekey = counts.HasSignedPrekey,
            HasKemLastResortPrekey = counts.HasKemLastResortPrekey,
        };
    }

    /// <summary>Tells the device's connections (best effort) when a fetch left it with few one-time prekeys.</summary>
    private async Task WarnIfLowAsync(Guid deviceId)
    {
        var status = await StatusOfAsync(deviceId, CancellationToken.None);
        if (status.OneTimePrekeys >= LowWaterMark && status.KemOneTimePrekeys >= LowWaterMark)
        {
            return;
        }

        try
        {
            await push.SendAsync(deviceId, HubMethods.PrekeysLow, status);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The device sees its counts on its next status call; a lost warning loses nothing else.
            var errorType = e.GetType().Name;
            LogWarnFailed(logger, deviceId, errorType);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Prekeys-low warning to device {DeviceId} failed ({ErrorType})")]
    private static partial void LogWarnFailed(ILogger logger, Guid deviceId, string errorType);
}
