using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;

namespace Messaging.Server.Storage.Mongo;

// The shapes stored in MongoDB. The domain records stay free of driver attributes: each store maps between the two.
// Ids are BSON UUIDs (binary subtype 4, GuidRepresentation.Standard), whose byte order sorts like the lower-case
// text ids in SQLite; times are UTC ticks (Int64), exactly as in SQLite.

/// <summary>
/// An account. The kind keeps the field's first name, <c>role</c> (its old values are renamed at start-up by
/// <see cref="MongoMigrations"/>). The email index is absent when there is none, so that its unique index, partial
/// to documents that have one, lets any number of accounts have none. Failed sign-ins are counted in place.
/// </summary>
internal sealed class AccountDocument
{
    public const string EmailIndexField = "emailIndex";

    [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid Id { get; set; }
    [BsonElement("loginIndex")] public byte[] LoginIndex { get; set; } = [];
    [BsonElement("passwordHash")] public string PasswordHash { get; set; } = "";
    [BsonElement("role")] public string Kind { get; set; } = "";
    [BsonElement("createdAt")] public long CreatedAt { get; set; }
    [BsonElement(EmailIndexField), BsonIgnoreIfNull] public byte[]? EmailIndex { get; set; }
    [BsonElement("profile"), BsonIgnoreIfNull] public byte[]? Profile { get; set; }
    [BsonElement("language")] public string Language { get; set; } = "fr";
    [BsonElement("consent"), BsonIgnoreIfNull] public ConsentDocument? Consent { get; set; }
    [BsonElement("failedSignIns")] public int FailedSignIns { get; set; }
    [BsonElement("lockedUntil")] public long? LockedUntil { get; set; }
    [BsonElement("unseenFailedSignIns")] public int UnseenFailedSignIns { get; set; }
    [BsonElement("lastFailedSignInAt")] public long? LastFailedSignInAt { get; set; }
}

internal sealed class ConsentDocument
{
    [BsonElement("termsVersion")] public string TermsVersion { get; set; } = "";
    [BsonElement("givenAt")] public long GivenAt { get; set; }
    [BsonElement("withdrawnAt")] public long? WithdrawnAt { get; set; }
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

    /// <summary>The practice the conversation was opened in; the empty id for conversations older than practices.</summary>
    [BsonElement("practiceId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid PracticeId { get; set; }

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

    /// <summary>Absent from the rows written before refusals were counted, which stood for one event each.</summary>
    [BsonElement("occurrences"), BsonDefaultValue(1)] public int Occurrences { get; set; } = 1;
}
