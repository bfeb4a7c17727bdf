using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

// The key directory's shapes in MongoDB (as MongoDocuments.cs: ids are standard UUIDs, times UTC ticks). Key ids are
// the devices' u32 ids, stored as Int64.

/// <summary>
/// One per device: its signed prekey and last-resort KEM prekey. <see cref="Uploads"/> counts the device's uploads:
/// every upload updates it, so two concurrent uploads for one device conflict and run one after the other, and it
/// numbers the batches of one-time prekeys in upload order.
/// </summary>
internal sealed class DevicePrekeysDocument
{
    public const string CollectionName = "device_prekeys";

    [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid DeviceId { get; set; }
    [BsonElement("signedPrekey")] public PrekeyDocument? SignedPrekey { get; set; }
    [BsonElement("kemLastResortPrekey")] public PrekeyDocument? KemLastResortPrekey { get; set; }
    [BsonElement("uploads")] public long Uploads { get; set; }
}

internal sealed class PrekeyDocument
{
    [BsonElement("keyId")] public long KeyId { get; set; }
    [BsonElement("publicKey")] public byte[] PublicKey { get; set; } = [];
    [BsonElement("signature")] public byte[] Signature { get; set; } = [];
    [BsonElement("uploadedAt")] public long UploadedAt { get; set; }
}

/// <summary>One one-time prekey (kind <c>opk</c> or <c>pqopk</c>), handed out in (batch, order) order and deleted then.</summary>
internal sealed class OneTimePrekeyDocument
{
    public const string CollectionName = "one_time_prekeys";

    [BsonId] public ObjectId Id { get; set; }
    [BsonElement("deviceId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid DeviceId { get; set; }
    [BsonElement("kind")] public string Kind { get; set; } = "";
    [BsonElement("keyId")] public long KeyId { get; set; }
    [BsonElement("publicKey")] public byte[] PublicKey { get; set; } = [];
    [BsonElement("signature"), BsonIgnoreIfNull] public byte[]? Signature { get; set; }
    [BsonElement("uploadedAt")] public long UploadedAt { get; set; }

    /// <summary>The device's upload that brought it (<see cref="DevicePrekeysDocument.Uploads"/> after that upload).</summary>
    [BsonElement("batch")] public long Batch { get; set; }

    /// <summary>Its place in that upload.</summary>
    [BsonElement("order")] public int Order { get; set; }
}

internal static class MongoPrekeyCollections
{
    public static IMongoCollection<DevicePrekeysDocument> DevicePrekeys(this MongoContext context) =>
        context.Database.GetCollection<DevicePrekeysDocument>(DevicePrekeysDocument.CollectionName);

    public static IMongoCollection<OneTimePrekeyDocument> OneTimePrekeys(this MongoContext context) =>
        context.Database.GetCollection<OneTimePrekeyDocument>(OneTimePrekeyDocument.CollectionName);

    /// <summary>Creates a collection that has no index of its own, so that transactions (before 4.4) can write to it.</summary>
    public static async Task EnsureCollectionAsync(this MongoContext context, string name, CancellationToken cancellationToken)
    {
        var existing = await context.Database.ListCollectionNamesAsync(
            new ListCollectionNamesOptions { Filter = new BsonDocument("name", name) }, cancellationToken);
        if (await existing.AnyAsync(cancellationToken))
        {
            return;
        }

        try
        {
            await context.Database.CreateCollectionAsync(name, cancellationToken: cancellationToken);
        }
        catch (MongoCommandException e) when (e.CodeName == "NamespaceExists")
        {
            // Another node created it in between.
        }
    }
}
