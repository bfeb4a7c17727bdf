using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Delivery;

namespace Messaging.Server.Features.Devices;

internal sealed class DeviceService(
    IDeviceStore devices,
    IMessageStore messages,
    DeviceConnections connections,
    AuditTrail audit,
    TimeProvider time)
{
    public const int MaximumIdentityBytes = 8 * 1024;

    public static string? Validate(RegisterDeviceRequest request) => request.Identity switch
    {
        null or { Length: 0 } => "The device identity is required.",
        { Length: > MaximumIdentityBytes } => $"The device identity has at most {MaximumIdentityBytes} bytes.",
        _ => null,
    };

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
    /// Revokes a device: it leaves every fan-out (recipient lists only hold active devices), its waiting copies are
    /// deleted, and its open connections on this node are closed. Owners revoke their own devices; admins any.
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
            connections.Abort(deviceId);
            await audit.SucceededAsync("device.revoke", caller.AccountId, caller.DeviceId, deviceId.ToString(), cancellationToken);
        }

        return null;
    }

    public static DeviceInfo ToInfo(Device device) =>
        new(device.Id, device.AccountId, device.Identity, device.CreatedAt.ToUnixTimeMilliseconds());
}
