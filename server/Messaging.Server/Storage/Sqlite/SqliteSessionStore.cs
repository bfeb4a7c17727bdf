using Messaging.Server.Features.Accounts.Sessions;
using Microsoft.Data.Sqlite;
using static Messaging.Server.Storage.Sqlite.SqliteValues;

namespace Messaging.Server.Storage.Sqlite;

/// <summary>
/// Session families in <c>session_families</c>, their refresh tokens (hashes only) in <c>refresh_tokens</c>. A rotation
/// reads and writes in one write transaction on the single writer, so of two rotations of the same token the second
/// sees it used. Used tokens are kept: presenting one again is how a replay is recognised.
/// </summary>
internal sealed class SqliteSessionStore(SqliteDatabase database) : ISessionStore
{
    private const string Columns = "id, account_id, device_id, created_at, last_used_at, revoked_at";
    private const string FamilyColumns = "f.id, f.account_id, f.device_id, f.created_at, f.last_used_at, f.revoked_at";

    public Task CreateAsync(SessionFamily family, byte[] firstTokenHash, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            await connection.Command($"INSERT INTO session_families ({Columns}) VALUES ($id, $account, $device, $created, $used, $revoked);", transaction)
                .With("$id", Id(family.Id))
                .With("$account", Id(family.AccountId))
                .With("$device", Id(family.DeviceId))
                .With("$created", Time(family.CreatedAt))
                .With("$used", Time(family.LastUsedAt))
                .With("$revoked", family.RevokedAt is { } revoked ? Time(revoked) : null)
                .ExecuteAsync(CancellationToken.None);
            return await InsertTokenAsync(connection, transaction, firstTokenHash, family.Id, family.CreatedAt);
        }, cancellationToken);

    public Task<RotationOutcome> RotateAsync(byte[] presentedTokenHash, byte[] nextTokenHash, DateTimeOffset at, CancellationToken cancellationToken) =>
        database.WriteAsync<RotationOutcome>(async (connection, transaction) =>
        {
            var presented = (await connection.Command(
                    $"""
                     SELECT t.used_at IS NOT NULL, {FamilyColumns}
                     FROM refresh_tokens t JOIN session_families f ON f.id = t.family_id
                     WHERE t.token_hash = $token;
                     """, transaction)
                .With("$token", presentedTokenHash)
                .ReadAllAsync(r => (Used: r.GetInt64(0) == 1, Family: Map(r, 1)), CancellationToken.None)).SingleOrDefault();
            if (presented.Family is not { } family)
            {
                return new RotationOutcome.Unknown();
            }

            if (family.IsRevoked)
            {
                return new RotationOutcome.Revoked(family);
            }

            if (presented.Used)
            {
                await RevokeWhereAsync(connection, transaction, "id = $key", Id(family.Id), at);
                return new RotationOutcome.Reused(family with { RevokedAt = at });
            }

            await connection.Command("UPDATE refresh_tokens SET used_at = $at WHERE token_hash = $token;", transaction)
                .With("$token", presentedTokenHash)
                .With("$at", Time(at))
                .ExecuteAsync(CancellationToken.None);
            await InsertTokenAsync(connection, transaction, nextTokenHash, family.Id, at);
            await connection.Command("UPDATE session_families SET last_used_at = $at WHERE id = $id;", transaction)
                .With("$id", Id(family.Id))
                .With("$at", Time(at))
                .ExecuteAsync(CancellationToken.None);
            return new RotationOutcome.Rotated(family with { LastUsedAt = at });
        }, cancellationToken);

    public Task<SessionFamily?> FindAsync(Guid familyId, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
            (await connection.Command($"SELECT {Columns} FROM session_families WHERE id = $id;")
                .With("$id", Id(familyId))
                .ReadAllAsync(r => Map(r, 0), cancellationToken)).SingleOrDefault());

    public async Task<bool> RevokeAsync(Guid familyId, DateTimeOffset at, CancellationToken cancellationToken) =>
        await database.WriteAsync((connection, transaction) => RevokeWhereAsync(connection, transaction, "id = $key", Id(familyId), at), cancellationToken) == 1;

    public Task<int> RevokeForDeviceAsync(Guid deviceId, DateTimeOffset at, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, transaction) => RevokeWhereAsync(connection, transaction, "device_id = $key", Id(deviceId), at), cancellationToken);

    public Task<int> RevokeForAccountAsync(Guid accountId, DateTimeOffset at, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, transaction) => RevokeWhereAsync(connection, transaction, "account_id = $key", Id(accountId), at), cancellationToken);

    public async Task<int> PurgeCreatedBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await database.DeleteInBatchesAsync("refresh_tokens", "token_hash", "issued_at", before, cancellationToken);
        return await database.DeleteInBatchesAsync("session_families", "rowid", "created_at", before, cancellationToken);
    }

    private static Task<int> RevokeWhereAsync(SqliteConnection connection, SqliteTransaction transaction, string where, string key, DateTimeOffset at) =>
        connection.Command($"UPDATE session_families SET revoked_at = $at WHERE {where} AND revoked_at IS NULL;", transaction)
            .With("$key", key)
            .With("$at", Time(at))
            .ExecuteAsync(CancellationToken.None);

    private static Task<int> InsertTokenAsync(SqliteConnection connection, SqliteTransaction transaction, byte[] tokenHash, Guid familyId, DateTimeOffset issuedAt) =>
        connection.Command("INSERT INTO refresh_tokens (token_hash, family_id, issued_at) VALUES ($token, $family, $at);", transaction)
            .With("$token", tokenHash)
            .With("$family", Id(familyId))
            .With("$at", Time(issuedAt))
            .ExecuteAsync(CancellationToken.None);

    private static SessionFamily Map(SqliteDataReader r, int first) =>
        new(r.GetId(first), r.GetId(first + 1), r.GetId(first + 2), r.GetTime(first + 3), r.GetTime(first + 4), r.GetNullableTime(first + 5));
}
