using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

// Practices, memberships and invitations in MongoDB (as MongoDocuments.cs: ids are standard UUIDs, times UTC ticks).

internal sealed class PracticeDocument
{
    public const string CollectionName = "practices";

    [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid Id { get; set; }
    [BsonElement("name")] public string Name { get; set; } = "";
    [BsonElement("createdAt")] public long CreatedAt { get; set; }
}

/// <summary>One role of one account in one practice; (practice, account, role) is unique.</summary>
internal sealed class MembershipDocument
{
    public const string CollectionName = "memberships";

    [BsonId] public ObjectId Id { get; set; }
    [BsonElement("practiceId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid PracticeId { get; set; }
    [BsonElement("accountId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid AccountId { get; set; }
    [BsonElement("role")] public string Role { get; set; } = "";
    [BsonElement("since")] public long Since { get; set; }
}

/// <summary>A single-use invitation, found by the hash of its token (unique).</summary>
internal sealed class InvitationDocument
{
    public const string CollectionName = "invitations";

    [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid Id { get; set; }
    [BsonElement("tokenHash")] public byte[] TokenHash { get; set; } = [];
    [BsonElement("practiceId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid PracticeId { get; set; }
    [BsonElement("role")] public string Role { get; set; } = "";
    [BsonElement("invitedBy"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid? InvitedBy { get; set; }
    [BsonElement("createdAt")] public long CreatedAt { get; set; }
    [BsonElement("expiresAt")] public long ExpiresAt { get; set; }
    [BsonElement("profile"), BsonIgnoreIfNull] public byte[]? Profile { get; set; }
    [BsonElement("language")] public string Language { get; set; } = "fr";
    [BsonElement("usedAt")] public long? UsedAt { get; set; }
    [BsonElement("usedBy"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid? UsedBy { get; set; }
}

internal static class MongoPracticeCollections
{
    public static IMongoCollection<PracticeDocument> Practices(this MongoContext context) =>
        context.Database.GetCollection<PracticeDocument>(PracticeDocument.CollectionName);

    public static IMongoCollection<MembershipDocument> Memberships(this MongoContext context) =>
        context.Database.GetCollection<MembershipDocument>(MembershipDocument.CollectionName);

    public static IMongoCollection<InvitationDocument> Invitations(this MongoContext context) =>
        context.Database.GetCollection<InvitationDocument>(InvitationDocument.CollectionName);
}
