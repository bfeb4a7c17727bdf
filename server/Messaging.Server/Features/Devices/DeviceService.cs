using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Accounts.Sessions;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Conversations;
using Messaging.Server.Features.Delivery;
using Messaging.Server.Features.Keys;
using Messaging.Server.Features.Practices;
using DeviceIdentity = Messaging.Protocol.Keys.DeviceIdentity;

namespace Messaging.Server.Features.Devices;

internal sealed class DeviceService(
    IDeviceStore devices,
    IMessageStore messages,
    IPrekeyStore prekeys,
    ISessionStore sessions,
    PracticeAccess access,
    DeviceConnections connections,
    RoutingChanges routing,
    AuditTrail audit,
    TimeProvider time)
{
    /// <summary>
    /// The identity must be a v1 identity (docs/protocol.md §2) whose self-signature verifies; the protocol library
    /// parses it, as every client will.
    /// </summary>
    public static string? Validate(RegisterDeviceRequest request) =>
        request.Identity is { } identity && DeviceIdentity.TryParse(identity, out _)
            ? null
            : $"The device identity must be a {DeviceIdentity.Length}-byte version-{DeviceIdentity.Version} identity whose signature verifies.";

    /// <summary>
    /// A patient's new device needs the code emailed to them (the session's second factor is then the email code);
    /// staff sessions are verified by their second factor already.
    /// </summary>
    public static bool MayRegister(Caller caller) => !caller.IsPatient || caller.SecondFactor == SecondFactors.EmailCode;

    public async Task<Device> RegisterAsync(Caller caller, RegisterDeviceRequest request, CancellationToken cancellationToken)
    {
        var device = new Device(Guid.NewGuid(), caller.AccountId, request.Identity, time.GetUtcNow(), null);
        await devices.AddAsync(device, cancellationToken);
        routing.Changed();
        await audit.SucceededAsync("device.register", caller.AccountId, device.Id, null);
        return device;
    }

    public Task<IReadOnlyList<Device>> ListOwnAsync(Caller caller, CancellationToken cancellationToken) =>
        devices.ListActiveAsync([caller.AccountId], cancellationToken);

    /// <summary>
    /// Revokes a device: it leaves every fan-out (recipient lists only hold active devices), its waiting copies and its
    /// prekeys and its sessions are ended, and its open connections on this node are closed. Owners revoke their own
    /// devices; a practice's admins revoke those of the practice's people.
    /// </summary>
    public async Task<string?> RevokeAsync(Caller caller, Guid deviceId, CancellationToken cancellationToken)
    {
        var device = await devices.FindAsync(deviceId, cancellationToken);
        if (device is null || (device.AccountId != caller.AccountId && !await access.MayManageAsync(caller.AccountId, device.AccountId, cancellationToken)))
        {
            await audit.DeniedAsync("device.revoke", caller.AccountId, caller.DeviceId, deviceId.ToString(), ErrorCodes.NotFound);
            return ErrorCodes.NotFound;
        }

        if (await devices.RevokeAsync(deviceId, time.GetUtcNow(), cancellationToken))
        {
            routing.Changed();
            await messages.DeleteQueueAsync(deviceId, cancellationToken);
            await prekeys.DeleteDeviceAsync(deviceId, cancellationToken);
            await sessions.RevokeForDeviceAsync(deviceId, time.GetUtcNow(), cancellationToken);
            connections.Abort(deviceId);
            await audit.SucceededAsync("device.revoke", caller.AccountId, caller.DeviceId, deviceId.ToString());
        }

        return null;
    }

    public static DeviceInfo ToInfo(Device device) =>
        new(device.Id, device.AccountId, device.Identity, device.CreatedAt.ToUnixTimeMilliseconds());
}
