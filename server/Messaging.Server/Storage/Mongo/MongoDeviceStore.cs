using Messaging.Server.Features.Devices;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

internal sealed class MongoDeviceStore(MongoContext context) : IDeviceStore
{
    private static readonly FilterDefinitionBuilder<DeviceDocument> Filter = Builders<DeviceDocument>.Filter;

    public Task AddAsync(Device device, CancellationToken cancellationToken) =>
        context.Devices.InsertOneAsync(
            new DeviceDocument
            {
                Id = device.Id,
                AccountId = device.AccountId,
                Identity = device.Identity,
                CreatedAt = MongoValues.Ticks(device.CreatedAt),
                RevokedAt = device.RevokedAt is { } revoked ? MongoValues.Ticks(revoked) : null,
            },
            cancellationToken: cancellationToken);

    public async Task<Device?> FindAsync(Guid deviceId, CancellationToken cancellationToken)
    {
        var document = await context.Devices.Find(d => d.Id == deviceId).FirstOrDefaultAsync(cancellationToken);
        return document is null ? null : ToDevice(document);
    }

    public async Task<IReadOnlyList<Device>> ListActiveAsync(IReadOnlyCollection<Guid> accountIds, CancellationToken cancellationToken)
    {
        if (accountIds.Count == 0)
        {
            return [];
        }

        var documents = await context.Devices
            .Find(Filter.In(d => d.AccountId, accountIds.Distinct()) & Filter.Eq(d => d.RevokedAt, null))
            .Sort(Builders<DeviceDocument>.Sort.Ascending(d => d.CreatedAt).Ascending(d => d.Id))
            .ToListAsync(cancellationToken);
        return [.. documents.Select(ToDevice)];
    }

    public async Task<bool> RevokeAsync(Guid deviceId, DateTimeOffset revokedAt, CancellationToken cancellationToken)
    {
        var result = await context.Devices.UpdateOneAsync(
            Filter.Eq(d => d.Id, deviceId) & Filter.Eq(d => d.RevokedAt, null),
            Builders<DeviceDocument>.Update.Set(d => d.RevokedAt, MongoValues.Ticks(revokedAt)),
            cancellationToken: cancellationToken);
        return result.ModifiedCount == 1;
    }

    private static Device ToDevice(DeviceDocument d) =>
        new(d.Id, d.AccountId, d.Identity, MongoValues.Time(d.CreatedAt), MongoValues.Time(d.RevokedAt));
}
