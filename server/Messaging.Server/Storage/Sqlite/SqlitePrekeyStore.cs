using Messaging.Server.Features.Keys;
using Microsoft.Data.Sqlite;
using static Messaging.Server.Storage.Sqlite.SqliteValues;

namespace Messaging.Server.Storage.Sqlite;

/// <summary>
/// Prekeys in <c>signed_prekeys</c> and <c>one_time_prekeys</c> (migration 2). Uploads and claims are write
/// transactions, and SQLite runs one writer at a time (<see cref="SqliteDatabase.WriteAsync{T}"/>), so two claims
/// never see the same one-time prekey.
/// </summary>
internal sealed class SqlitePrekeyStore(SqliteDatabase database) : IPrekeyStore
{
    private static readonly string[] Tables = ["signed_prekeys", "one_time_prekeys"];

    public Task<PrekeyUploadStatus> UploadAsync(PrekeyUpload upload, int maxOneTimePerKind, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            var device = Id(upload.DeviceId);
            var oneTime = await NewKeysAsync(connection, transaction, device, PrekeyKinds.OneTime, upload.OneTimePrekeys);
            var kemOneTime = await NewKeysAsync(connection, transaction, device, PrekeyKinds.KemOneTime, upload.KemOneTimePrekeys);
            if (oneTime is null || kemOneTime is null || await KemIdTakenAsync(connection, transaction, device, upload, kemOneTime))
            {
                return PrekeyUploadStatus.IdConflict;
            }

            var counts = await CountAsync(connection, transaction, device);
            if (counts.OneTimePrekeys + oneTime.Count > maxOneTimePerKind || counts.KemOneTimePrekeys + kemOneTime.Count > maxOneTimePerKind)
            {
                return PrekeyUploadStatus.TooMany;
            }

            var at = Time(upload.UploadedAt);
            await ReplaceAsync(connection, transaction, device, PrekeyKinds.SignedPrekey, upload.SignedPrekey, at);
            await ReplaceAsync(connection, transaction, device, PrekeyKinds.KemLastResort, upload.KemLastResortPrekey, at);
            await InsertAsync(connection, transaction, device, PrekeyKinds.OneTime, oneTime, at);
            await InsertAsync(connection, transaction, device, PrekeyKinds.KemOneTime, kemOneTime, at);
            return PrekeyUploadStatus.Stored;
        }, cancellationToken);

    public Task<PrekeyCounts> CountAsync(Guid deviceId, CancellationToken cancellationToken) =>
        database.ReadAsync(connection => CountAsync(connection, null, Id(deviceId)));

    public Task<ClaimedPrekeys?> ClaimAsync(Guid deviceId, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            var device = Id(deviceId);
            var signed = await connection.Command("SELECT kind, key_id, public_key, signature FROM signed_prekeys WHERE device_id = $device;", transaction)
                .With("$device", device)
                .ReadAllAsync(r => (Kind: r.GetString(0), Key: new StoredPrekey(KeyId(r, 1), r.GetBytes(2), r.GetBytes(3))), CancellationToken.None);
            var spk = signed.Find(s => s.Kind == PrekeyKinds.SignedPrekey).Key;
            var lastResort = signed.Find(s => s.Kind == PrekeyKinds.KemLastResort).Key;
            if (spk is null || lastResort is null)
            {
                return null;
            }

            var opk = await TakeOldestAsync(connection, transaction, device, PrekeyKinds.OneTime);
            var pqopk = await TakeOldestAsync(connection, transaction, device, PrekeyKinds.KemOneTime);
            return new ClaimedPrekeys(spk, opk, pqopk ?? lastResort, pqopk is null);
        }, cancellationToken);

    public Task DeleteDeviceAsync(Guid deviceId, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            foreach (var table in Tables)
            {
                await connection.Command($"DELETE FROM {table} WHERE device_id = $device;", transaction)
                    .With("$device", Id(deviceId))
                    .ExecuteAsync(CancellationToken.None);
            }

            return 0;
        }, cancellationToken);

    private static async Task<PrekeyCounts> CountAsync(SqliteConnection connection, SqliteTransaction? transaction, string device) =>
        (await connection.Command(
                """
                SELECT (SELECT count(*) FROM one_time_prekeys WHERE device_id = $device AND kind = $opk),
                       (SELECT count(*) FROM one_time_prekeys WHERE device_id = $device AND kind = $pqopk),
                       EXISTS (SELECT 1 FROM signed_prekeys WHERE device_id = $device AND kind = $spk),
                       EXISTS (SELECT 1 FROM signed_prekeys WHERE device_id = $device AND kind = $pqspk);
                """, transaction)
            .With("$device", device)
            .With("$opk", PrekeyKinds.OneTime)
            .With("$pqopk", PrekeyKinds.KemOneTime)
            .With("$spk", PrekeyKinds.SignedPrekey)
            .With("$pqspk", PrekeyKinds.KemLastResort)
            .ReadAllAsync(r => new PrekeyCounts(r.GetInt64(2) == 1, r.GetInt64(3) == 1, r.GetInt32(0), r.GetInt32(1)), CancellationToken.None)).Single();

    /// <summary>The keys not stored yet; null when an id is stored with another public key.</summary>
    private static async Task<List<StoredPrekey>?> NewKeysAsync(
        SqliteConnection connection, SqliteTransaction transaction, string device, string kind, IReadOnlyList<StoredPrekey> keys)
    {
        if (keys.Count == 0)
        {
            return [];
        }

        var ids = keys.Select(k => (long)k.Id).ToList();
        var command = connection.Command(
                $"SELECT key_id, public_key FROM one_time_prekeys WHERE device_id = $device AND kind = $kind AND key_id IN ({InList("k", ids.Count)});",
                transaction)
            .With("$device", device)
            .With("$kind", kind);
        for (var i = 0; i < ids.Count; i++)
        {
            command.With($"$k{i}", ids[i]);
        }

        var stored = (await command.ReadAllAsync(r => (Id: KeyId(r, 0), PublicKey: r.GetBytes(1)), CancellationToken.None))
            .ToDictionary(s => s.Id, s => s.PublicKey);
        if (keys.Any(k => stored.TryGetValue(k.Id, out var publicKey) && !publicKey.AsSpan().SequenceEqual(k.PublicKey)))
        {
            return null;
        }

        return [.. keys.Where(k => !stored.ContainsKey(k.Id))];
    }

    /// <summary>Whether the last-resort KEM prekey and a KEM one-time prekey would share an id (one id space).</summary>
    private static async Task<bool> KemIdTakenAsync(
        SqliteConnection connection, SqliteTransaction transaction, string device, PrekeyUpload upload, List<StoredPrekey> newKemOneTime)
    {
        var lastResortId = upload.KemLastResortPrekey?.Id ?? (await connection.Command(
                "SELECT key_id FROM signed_prekeys WHERE device_id = $device AND kind = $kind;", transaction)
            .With("$device", device)
            .With("$kind", PrekeyKinds.KemLastResort)
            .ReadAllAsync(r => (uint?)KeyId(r, 0), CancellationToken.None)).SingleOrDefault();
        if (lastResortId is not { } id)
        {
            return false;
        }

        return newKemOneTime.Any(k => k.Id == id)
            || (upload.KemLastResortPrekey is not null && (await connection.Command(
                    "SELECT 1 FROM one_time_prekeys WHERE device_id = $device AND kind = $kind AND key_id = $id;", transaction)
                .With("$device", device)
                .With("$kind", PrekeyKinds.KemOneTime)
                .With("$id", (long)id)
                .ReadAllAsync(r => r.GetInt64(0), CancellationToken.None)).Count > 0);
    }

    private static async Task ReplaceAsync(SqliteConnection connection, SqliteTransaction transaction, string device, string kind, StoredPrekey? key, long at)
    {
        if (key is null)
        {
            return;
        }

        await connection.Command(
                """
                INSERT OR REPLACE INTO signed_prekeys (device_id, kind, key_id, public_key, signature, uploaded_at)
                VALUES ($device, $kind, $id, $public, $signature, $at);
                """, transaction)
            .With("$device", device).With("$kind", kind).With("$id", (long)key.Id)
            .With("$public", key.PublicKey).With("$signature", key.Signature).With("$at", at)
            .ExecuteAsync(CancellationToken.None);
    }

    private static async Task InsertAsync(
        SqliteConnection connection, SqliteTransaction transaction, string device, string kind, List<StoredPrekey> keys, long at)
    {
        await using var insert = connection.Command(
            """
            INSERT INTO one_time_prekeys (device_id, kind, key_id, public_key, signature, uploaded_at)
            VALUES ($device, $kind, $id, $public, $signature, $at);
            """, transaction);
        insert.With("$device", device).With("$kind", kind).With("$at", at);
        var id = insert.Parameters.Add("$id", SqliteType.Integer);
        var publicKey = insert.Parameters.Add("$public", SqliteType.Blob);
        var signature = insert.Parameters.Add("$signature", SqliteType.Blob);
        foreach (var key in keys)
        {
            id.Value = (long)key.Id;
            publicKey.Value = key.PublicKey;
            signature.Value = key.Signature ?? (object)DBNull.Value;
            await insert.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static async Task<StoredPrekey?> TakeOldestAsync(SqliteConnection connection, SqliteTransaction transaction, string device, string kind) =>
        (await connection.Command(
                """
                DELETE FROM one_time_prekeys
                WHERE position = (SELECT position FROM one_time_prekeys WHERE device_id = $device AND kind = $kind ORDER BY position LIMIT 1)
                RETURNING key_id, public_key, signature;
                """, transaction)
            .With("$device", device)
            .With("$kind", kind)
            .ReadAllAsync(r => new StoredPrekey(KeyId(r, 0), r.GetBytes(1), r.IsDBNull(2) ? null : r.GetBytes(2)), CancellationToken.None))
        .SingleOrDefault();

    private static uint KeyId(SqliteDataReader reader, int ordinal) => checked((uint)reader.GetInt64(ordinal));
}
