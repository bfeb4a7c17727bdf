using Messaging.Server.Features.Devices;
using Microsoft.Data.Sqlite;
using static Messaging.Server.Storage.Sqlite.SqliteValues;

namespace Messaging.Server.Storage.Sqlite;

internal sealed class SqliteDeviceStore(SqliteDatabase database) : IDeviceStore
{
    private const string Columns = "id, account_id, identity, created_at, revoked_at";

    public Task AddAsync(Device device, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, transaction) =>
            connection.Command($"INSERT INTO devices ({Columns}) VALUES ($id, $account, $identity, $created, $revoked);", transaction)
                .With("$id", Id(device.Id))
                .With("$account", Id(device.AccountId))
                .With("$identity", device.Identity)
                .With("$created", Time(device.CreatedAt))
                .With("$revoked", device.RevokedAt is { } revoked ? Time(revoked) : null)
                .ExecuteAsync(CancellationToken.None), cancellationToken);

    public Task<Device?> FindAsync(Guid deviceId, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
            (await connection.Command($"SELECT {Columns} FROM devices WHERE id = $id;")
                .With("$id", Id(deviceId))
                .ReadAllAsync(Map, cancellationToken)).SingleOrDefault());

    public Task<IReadOnlyList<Device>> ListActiveAsync(IReadOnlyCollection<Guid> accountIds, CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<Device>>(async connection =>
            accountIds.Count == 0
                ? []
                : await connection.Command(
                        $"SELECT {Columns} FROM devices WHERE revoked_at IS NULL AND account_id IN ({InList("a", accountIds.Count)}) ORDER BY created_at, id;")
                    .WithIds("a", accountIds)
                    .ReadAllAsync(Map, cancellationToken));

    public async Task<bool> RevokeAsync(Guid deviceId, DateTimeOffset revokedAt, CancellationToken cancellationToken) =>
        await database.WriteAsync((connection, transaction) =>
            connection.Command("UPDATE devices SET revoked_at = $at WHERE id = $id AND revoked_at IS NULL;", transaction)
                .With("$id", Id(deviceId))
                .With("$at", Time(revokedAt))
                .ExecuteAsync(CancellationToken.None), cancellationToken) == 1;

    private static Device Map(SqliteDataReader r) =>
        new(r.GetId(0), r.GetId(1), r.GetBytes(2), r.GetTime(3), r.GetNullableTime(4));
}
