using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

// The notification outbox in MongoDB (as MongoDocuments.cs: ids are standard UUIDs, times UTC ticks).

internal sealed class NotificationDocument
{
    public const string CollectionName = "notifications";

    [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid Id { get; set; }
    [BsonElement("patientAccountId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid PatientAccountId { get; set; }
    [BsonElement("conversationId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid ConversationId { get; set; }
    [BsonElement("createdAt")] public long CreatedAt { get; set; }
    [BsonElement("dueAt")] public long DueAt { get; set; }
    [BsonElement("state")] public string State { get; set; } = "";
    [BsonElement("attempts")] public int Attempts { get; set; }
    [BsonElement("leaseUntil")] public long? LeaseUntil { get; set; }
    [BsonElement("lastError")] public string? LastError { get; set; }
    [BsonElement("closedAt")] public long? ClosedAt { get; set; }
}

/// <summary>
/// One per patient who was ever notified, by the patient's id: every scheduling transaction of that patient writes it,
/// so two of them conflict and the second runs again on the first one's outcome (<see cref="MongoNotificationStore"/>).
/// </summary>
internal sealed class NotificationGuardDocument
{
    public const string CollectionName = "notification_guards";

    [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid PatientAccountId { get; set; }
    [BsonElement("schedules")] public long Schedules { get; set; }
}

/// <summary>The link of a sent notification, by the hash of its token: the <c>_id</c>, so unique.</summary>
internal sealed class NotificationLinkDocument
{
    public const string CollectionName = "notification_links";

    [BsonId] public byte[] TokenHash { get; set; } = [];
    [BsonElement("notificationId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid NotificationId { get; set; }
    [BsonElement("patientAccountId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid PatientAccountId { get; set; }
    [BsonElement("conversationId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid ConversationId { get; set; }
    [BsonElement("expiresAt")] public long ExpiresAt { get; set; }
    [BsonElement("usedAt")] public long? UsedAt { get; set; }
}

internal static class MongoNotificationCollections
{
    public static IMongoCollection<NotificationDocument> Notifications(this MongoContext context) =>
        context.Database.GetCollection<NotificationDocument>(NotificationDocument.CollectionName);

    public static IMongoCollection<NotificationGuardDocument> NotificationGuards(this MongoContext context) =>
        context.Database.GetCollection<NotificationGuardDocument>(NotificationGuardDocument.CollectionName);

    public static IMongoCollection<NotificationLinkDocument> NotificationLinks(this MongoContext context) =>
        context.Database.GetCollection<NotificationLinkDocument>(NotificationLinkDocument.CollectionName);
}
