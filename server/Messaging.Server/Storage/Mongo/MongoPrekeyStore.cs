using Messaging.Server.Features.Keys;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

/// <summary>
/// Prekeys on MongoDB: <c>device_prekeys</c> (one document per device) and <c>one_time_prekeys</c>. Uploads and
/// claims are multi-document transactions: two claims that take the same one-time prekey both delete it, the later
/// one hits a write conflict and is run again by the driver, by then seeing it gone; so no prekey is handed out twice.
/// </summary>
internal sealed class MongoPrekeyStore(MongoContext context) : IPrekeyStore
{
    private static readonly FilterDefinitionBuilder<OneTimePrekeyDocument> OneTime = Builders<OneTimePrekeyDocument>.Filter;

    private static readonly SortDefinition<OneTimePrekeyDocument> Oldest =
        Builders<OneTimePrekeyDocument>.Sort.Ascending(k => k.Batch).Ascending(k => k.Order);

    public async Task<PrekeyUploadStatus> UploadAsync(PrekeyUpload upload, int maxOneTimePerKind, CancellationToken cancellationToken)
    {
        try
        {
            return await context.InTransactionAsync((session, token) => UploadInTransactionAsync(session, upload, maxOneTimePerKind, token), cancellationToken);
        }
        catch (Exception e) when (MongoErrors.IsDuplicateKey(e))
        {
            // The first two uploads of a device raced to create its document: run again, now that it exists.
            return await context.InTransactionAsync((session, token) => UploadInTransactionAsync(session, upload, maxOneTimePerKind, token), cancellationToken);
        }
    }

    public async Task<PrekeyCounts> CountAsync(Guid deviceId, CancellationToken cancellationToken)
    {
        var set = await context.DevicePrekeys().Find(d => d.DeviceId == deviceId).FirstOrDefaultAsync(cancellationToken);
        return new PrekeyCounts(
            set?.SignedPrekey is not null,
            set?.KemLastResortPrekey is not null,
            await CountOneTimeAsync(null, deviceId, PrekeyKinds.OneTime, cancellationToken),
            await CountOneTimeAsync(null, deviceId, PrekeyKinds.KemOneTime, cancellationToken));
    }

    public Task<ClaimedPrekeys?> ClaimAsync(Guid deviceId, CancellationToken cancellationToken) =>
        context.InTransactionAsync(async (session, token) =>
        {
            var set = await context.DevicePrekeys().Find(session, d => d.DeviceId == deviceId).FirstOrDefaultAsync(token);
            if (set is not { SignedPrekey: { } spk, KemLastResortPrekey: { } lastResort })
            {
                return null;
            }

            var opk = await TakeOldestAsync(session, deviceId, PrekeyKinds.OneTime, token);
            var pqopk = await TakeOldestAsync(session, deviceId, PrekeyKinds.KemOneTime, token);
            return new ClaimedPrekeys(ToPrekey(spk), opk, pqopk ?? ToPrekey(lastResort), pqopk is null);
        }, cancellationToken);

    public async Task DeleteDeviceAsync(Guid deviceId, CancellationToken cancellationToken)
    {
        // Two idempotent deletes, not one transaction (a device may hold two thousand one-time prekeys). Keys left by
        // a revocation cut short belong to a revoked device, and those are never served.
        await context.OneTimePrekeys().DeleteManyAsync(k => k.DeviceId == deviceId, cancellationToken);
        await context.DevicePrekeys().DeleteOneAsync(d => d.DeviceId == deviceId, cancellationToken);
    }

    private async Task<PrekeyUploadStatus> UploadInTransactionAsync(
        IClientSessionHandle session, PrekeyUpload upload, int maxOneTimePerKind, CancellationToken token)
    {
        var oneTime = await NewKeysAsync(session, upload.DeviceId, PrekeyKinds.OneTime, upload.OneTimePrekeys, token);
        var kemOneTime = await NewKeysAsync(session, upload.DeviceId, PrekeyKinds.KemOneTime, upload.KemOneTimePrekeys, token);
        if (oneTime is null || kemOneTime is null || await KemIdTakenAsync(session, upload, kemOneTime, token))
        {
            return PrekeyUploadStatus.IdConflict;
        }

        if (await CountOneTimeAsync(session, upload.DeviceId, PrekeyKinds.OneTime, token) + oneTime.Count > maxOneTimePerKind
            || await CountOneTimeAsync(session, upload.DeviceId, PrekeyKinds.KemOneTime, token) + kemOneTime.Count > maxOneTimePerKind)
        {
            return PrekeyUploadStatus.TooMany;
        }

        var at = MongoValues.Ticks(upload.UploadedAt);
        var update = Builders<DevicePrekeysDocument>.Update.Inc(d => d.Uploads, 1);
        if (upload.SignedPrekey is { } spk)
        {
            update = update.Set(d => d.SignedPrekey, ToDocument(spk, at));
        }

        if (upload.KemLastResortPrekey is { } lastResort)
        {
            update = update.Set(d => d.KemLastResortPrekey, ToDocument(lastResort, at));
        }

        var set = await context.DevicePrekeys().FindOneAndUpdateAsync(
            session,
            Builders<DevicePrekeysDocument>.Filter.Eq(d => d.DeviceId, upload.DeviceId),
            update,
            new FindOneAndUpdateOptions<DevicePrekeysDocument> { IsUpsert = true, ReturnDocument = ReturnDocument.After },
            token);
        var documents = oneTime.Select((k, i) => ToDocument(upload.DeviceId, PrekeyKinds.OneTime, k, at, set.Uploads, i))
            .Concat(kemOneTime.Select((k, i) => ToDocument(upload.DeviceId, PrekeyKinds.KemOneTime, k, at, set.Uploads, i)))
            .ToList();
        if (documents.Count > 0)
        {
            await context.OneTimePrekeys().InsertManyAsync(session, documents, cancellationToken: token);
        }

        return PrekeyUploadStatus.Stored;
    }

    /// <summary>The keys not stored yet; null when an id is stored with another public key.</summary>
    private async Task<List<StoredPrekey>?> NewKeysAsync(
        IClientSessionHandle session, Guid deviceId, string kind, IReadOnlyList<StoredPrekey> keys, CancellationToken token)
    {
        if (keys.Count == 0)
        {
            return [];
        }

        var stored = (await context.OneTimePrekeys()
                .Find(session, OfKind(deviceId, kind) & OneTime.In(k => k.KeyId, keys.Select(k => (long)k.Id)))
                .ToListAsync(token))
            .ToDictionary(k => checked((uint)k.KeyId), k => k.PublicKey);
        if (keys.Any(k => stored.TryGetValue(k.Id, out var publicKey) && !publicKey.AsSpan().SequenceEqual(k.PublicKey)))
        {
            return null;
        }

        return [.. keys.Where(k => !stored.ContainsKey(k.Id))];
    }

    /// <summary>Whether the last-resort KEM prekey and a KEM one-time prekey would share an id (one id space).</summary>
    private async Task<bool> KemIdTakenAsync(IClientSessionHandle session, PrekeyUpload upload, List<StoredPrekey> newKemOneTime, CancellationToken token)
    {
        var lastResortId = upload.KemLastResortPrekey?.Id;
        if (lastResortId is null)
        {
            var set = await context.DevicePrekeys().Find(session, d => d.DeviceId == upload.DeviceId).FirstOrDefaultAsync(token);
            lastResortId = set?.KemLastResortPrekey is { } stored ? checked((uint)stored.KeyId) : null;
        }

        return lastResortId is { } id
            && (newKemOneTime.Any(k => k.Id == id)
                || (upload.KemLastResortPrekey is not null && await context.OneTimePrekeys()
                    .Find(session, OfKind(upload.DeviceId, PrekeyKinds.KemOneTime) & OneTime.Eq(k => k.KeyId, (long)id))
                    .AnyAsync(token)));
    }

    private async Task<int> CountOneTimeAsync(IClientSessionHandle? session, Guid deviceId, string kind, CancellationToken token) =>
        checked((int)(session is null
            ? await context.OneTimePrekeys().CountDocumentsAsync(OfKind(deviceId, kind), cancellationToken: token)
            : await context.OneTimePrekeys().CountDocumentsAsync(session, OfKind(deviceId, kind), cancellationToken: token)));

    private async Task<StoredPrekey?> TakeOldestAsync(IClientSessionHandle session, Guid deviceId, string kind, CancellationToken token)
    {
        var taken = await context.OneTimePrekeys().FindOneAndDeleteAsync(
            session, OfKind(deviceId, kind), new FindOneAndDeleteOptions<OneTimePrekeyDocument> { Sort = Oldest }, token);
        return taken is null ? null : new StoredPrekey(checked((uint)taken.KeyId), taken.PublicKey, taken.Signature);
    }

    private static FilterDefinition<OneTimePrekeyDocument> OfKind(Guid deviceId, string kind) =>
        OneTime.Eq(k => k.DeviceId, deviceId) & OneTime.Eq(k => k.Kind, kind);

    private static PrekeyDocument ToDocument(StoredPrekey key, long at) =>
        new() { KeyId = key.Id, PublicKey = key.PublicKey, Signature = key.Signature ?? [], UploadedAt = at };

    private static OneTimePrekeyDocument ToDocument(Guid deviceId, string kind, StoredPrekey key, long at, long batch, int order) =>
        new()
        {
            DeviceId = deviceId,
            Kind = kind,
            KeyId = key.Id,
            PublicKey = key.PublicKey,
            Signature = key.Signature,
            UploadedAt = at,
            Batch = batch,
            Order = order,
        };

    private static StoredPrekey ToPrekey(PrekeyDocument d) => new(checked((uint)d.KeyId), d.PublicKey, d.Signature);
}
