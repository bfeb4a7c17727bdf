namespace Messaging.Server.Features.Devices;

internal interface IDeviceStore
{
    Task AddAsync(Device device, CancellationToken cancellationToken);

    Task<Device?> FindAsync(Guid deviceId, CancellationToken cancellationToken);

    /// <summary>Active (not revoked) devices of these accounts.</summary>
    Task<IReadOnlyList<Device>> ListActiveAsync(IReadOnlyCollection<Guid> accountIds, CancellationToken cancellationToken);

    /// <summary>Marks the device revoked; false when it does not exist or was already revoked.</summary>
    Task<bool> RevokeAsync(Guid deviceId, DateTimeOffset revokedAt, CancellationToken cancellationToken);
}
