using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Delivery;
using Messaging.Server.Features.Keys;
using DeviceIdentity = Messaging.Protocol.Keys.DeviceIdentity;

namespace Messaging.Server.Features.Devices;

internal sealed class DeviceService(
    IDeviceStore devices,
    IMessageStore messages,
    IPrekeyStore prekeys,
    DeviceConnections connections,
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

    public async Task<Device> RegisterAsync(Caller caller, RegisterDeviceRequest request, CancellationToken cancellationToken)
    {
        var device = new Device(Guid.NewGuid(), caller.AccountId, request.Identity, time.GetUtcNow(), null);
        await devices.AddAsync(device, cancellationToken);
        await audit.SucceededAsync("device.register", caller.AccountId, device.Id, null, cancellationToken);
        return device;
    }

    public Task<IReadOnlyList<Device>> ListOwnAsync(Caller caller, CancellationToken cancellationToken) =>
        devices.ListActiveAsync([caller.AccountId], cancellationToken);

    /// <summary>
    /// Revokes a device: it leaves every fan-out (recipient lists only hold active devices), its waiting copies and its
    /// prekeys are deleted, and its open connections on this node are closed. Owners revoke their own devices; admins any.
    /// </summary>
    public async Task<string?> RevokeAsync(Caller caller, Guid deviceId, CancellationToken cancellationToken)
    {
        var device = await devices.FindAsync(deviceId, cancellationToken);
        if (device is null || (device.AccountId != caller.AccountId && caller.Role != Roles.Admin))
        {
            await audit.DeniedAsync("device.revoke", caller.AccountId, caller.DeviceId, deviceId.ToString(), ErrorCodes.NotFound, cancellationToken);
            return ErrorCodes.NotFound;
        }

        if (await devices.RevokeAsync(deviceId, time.GetUtcNow(), cancellationToken))
        {
            await messages.DeleteQueueAsync(deviceId, cancellationToken);
            await prekeys.DeleteDeviceAsync(deviceId, cancellationToken);
            connections.Abort(deviceId);
            await audit.SucceededAsync("device.revoke", caller.AccountId, caller.DeviceId, deviceId.ToString(), cancellationToken);
        }

        return null;
    }

    public static DeviceInfo ToInfo(Device device) =>
        new(device.Id, device.AccountId, device.Identity, device.CreatedAt.ToUnixTimeMilliseconds());
}
