using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;

namespace Messaging.Server.Storage.Mongo;

// The shapes stored in MongoDB. The domain records stay free of driver attributes: each store maps between the two.
// Ids are BSON UUIDs (binary subtype 4, GuidRepresentation.Standard), whose byte order sorts like the lower-case
// text ids in SQLite; times are UTC ticks (Int64), exactly as in SQLite.

internal sealed class AccountDocument
{
    [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid Id { get; set; }
    [BsonElement("loginIndex")] public byte[] LoginIndex { get; set; } = [];
    [BsonElement("passwordHash")] public string PasswordHash { get; set; } = "";
    [BsonElement("role")] public string Role { get; set; } = "";
    [BsonElement("createdAt")] public long CreatedAt { get; set; }
}

internal sealed class DeviceDocument
{
    [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid Id { get; set; }
    [BsonElement("accountId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid AccountId { get; set; }
    [BsonElement("identity")] public byte[] Identity { get; set; } = [];
    [BsonElement("createdAt")] public long CreatedAt { get; set; }
    [BsonElement("revokedAt")] public long? RevokedAt { get; set; }
}

internal sealed class ConversationDocument
{
    public const string LastSequenceField = "lastSequence";
    public const string LastEnqueuedAtField = "lastEnqueuedAt";

    [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid Id { get; set; }
    [BsonElement("createdBy"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid CreatedBy { get; set; }

    /// <summary>Account ids in the order given at creation.</summary>
    [BsonElement("members"), BsonGuidRepresentation(GuidRepresentation.Standard)] public List<Guid> Members { get; set; } = [];

    [BsonElement("createdAt")] public long CreatedAt { get; set; }
    [BsonElement(LastSequenceField)] public long LastSequence { get; set; }
    [BsonElement(LastEnqueuedAtField)] public long LastEnqueuedAt { get; set; }
}

/// <summary>The record of an accepted message id, kept until its retention ends: it answers retries.</summary>
internal sealed class MessageDocument
{
    [BsonId] public ObjectId Id { get; set; }
    [BsonElement("conversationId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid ConversationId { get; set; }
    [BsonElement("messageId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid MessageId { get; set; }
    [BsonElement("senderAccountId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid SenderAccountId { get; set; }
    [BsonElement("senderDeviceId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid SenderDeviceId { get; set; }
    [BsonElement("sequence")] public long Sequence { get; set; }
    [BsonElement("acceptedAt")] public long AcceptedAt { get; set; }
    [BsonElement("expiresAt")] public long ExpiresAt { get; set; }
}

/// <summary>One ciphertext copy waiting for one device.</summary>
internal sealed class QueueDocument
{
    [BsonId] public ObjectId Id { get; set; }
    [BsonElement("deviceId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid DeviceId { get; set; }
    [BsonElement("enqueuedAt")] public long EnqueuedAt { get; set; }
    [BsonElement("conversationId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid ConversationId { get; set; }
    [BsonElement("sequence")] public long Sequence { get; set; }
    [BsonElement("messageId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid MessageId { get; set; }
    [BsonElement("senderAccountId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid SenderAccountId { get; set; }
    [BsonElement("senderDeviceId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid SenderDeviceId { get; set; }
    [BsonElement("acceptedAt")] public long AcceptedAt { get; set; }
    [BsonElement("expiresAt")] public long ExpiresAt { get; set; }
    [BsonElement("ciphertext")] public byte[] Ciphertext { get; set; } = [];
}

internal sealed class AuditEventDocument
{
    [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid Id { get; set; }
    [BsonElement("at")] public long At { get; set; }
    [BsonElement("action")] public string Action { get; set; } = "";
    [BsonElement("outcome")] public string Outcome { get; set; } = "";
    [BsonElement("accountId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid? AccountId { get; set; }
    [BsonElement("deviceId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid? DeviceId { get; set; }
    [BsonElement("target")] public string? Target { get; set; }
    [BsonElement("reason")] public string? Reason { get; set; }
}
