using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

// Sign-in sessions in MongoDB (as MongoDocuments.cs: ids are standard UUIDs, times UTC ticks).

internal sealed class SessionFamilyDocument
{
    public const string CollectionName = "session_families";

    [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid Id { get; set; }
    [BsonElement("accountId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid AccountId { get; set; }
    [BsonElement("deviceId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid DeviceId { get; set; }
    [BsonElement("createdAt")] public long CreatedAt { get; set; }
    [BsonElement("lastUsedAt")] public long LastUsedAt { get; set; }
    [BsonElement("revokedAt")] public long? RevokedAt { get; set; }
}

/// <summary>One refresh token of a family, by its hash: the <c>_id</c>, so unique. Used tokens are kept (replay detection).</summary>
internal sealed class RefreshTokenDocument
{
    public const string CollectionName = "refresh_tokens";

    [BsonId] public byte[] TokenHash { get; set; } = [];
    [BsonElement("familyId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid FamilyId { get; set; }
    [BsonElement("issuedAt")] public long IssuedAt { get; set; }
    [BsonElement("usedAt")] public long? UsedAt { get; set; }
}

internal static class MongoSessionCollections
{
    public static IMongoCollection<SessionFamilyDocument> SessionFamilies(this MongoContext context) =>
        context.Database.GetCollection<SessionFamilyDocument>(SessionFamilyDocument.CollectionName);

    public static IMongoCollection<RefreshTokenDocument> RefreshTokens(this MongoContext context) =>
        context.Database.GetCollection<RefreshTokenDocument>(RefreshTokenDocument.CollectionName);
}
