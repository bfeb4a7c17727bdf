using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

// Second factors in MongoDB (as MongoDocuments.cs: ids are standard UUIDs, times UTC ticks). Secrets are sealed by the
// server before they get here; codes are stored as hashes.

/// <summary>The account's TOTP secret: one per account, its id the account's.</summary>
internal sealed class TotpSecretDocument
{
    public const string CollectionName = "totp_secrets";

    [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid AccountId { get; set; }
    [BsonElement("sealedSecret")] public byte[] SealedSecret { get; set; } = [];
    [BsonElement("confirmed")] public bool Confirmed { get; set; }
    [BsonElement("lastUsedStep")] public long LastUsedStep { get; set; }
    [BsonElement("createdAt")] public long CreatedAt { get; set; }
}

/// <summary>All recovery codes of one account in one document, so that replacing them all is one atomic write.</summary>
internal sealed class RecoveryCodesDocument
{
    public const string CollectionName = "recovery_codes";
    public const string CodesField = "codes";

    [BsonId, BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid AccountId { get; set; }
    [BsonElement(CodesField)] public List<RecoveryCodeDocument> Codes { get; set; } = [];
}

internal sealed class RecoveryCodeDocument
{
    public const string UsedAtField = "usedAt";

    [BsonElement("hash")] public byte[] Hash { get; set; } = [];
    [BsonElement(UsedAtField)] public long? UsedAt { get; set; }
}

/// <summary>A WebAuthn credential, by its credential id: the <c>_id</c>, so unique.</summary>
internal sealed class PasskeyDocument
{
    public const string CollectionName = "passkeys";

    [BsonId] public byte[] CredentialId { get; set; } = [];
    [BsonElement("accountId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid AccountId { get; set; }
    [BsonElement("publicKey")] public byte[] PublicKey { get; set; } = [];

    /// <summary>The u32 signature counter, as Int64.</summary>
    [BsonElement("signCount")] public long SignCount { get; set; }

    [BsonElement("userHandle")] public byte[] UserHandle { get; set; } = [];
    [BsonElement("createdAt")] public long CreatedAt { get; set; }
}

/// <summary>The pending one-time code of an account for a purpose; (account, purpose) is unique.</summary>
internal sealed class OneTimeCodeDocument
{
    public const string CollectionName = "one_time_codes";

    [BsonId] public ObjectId Id { get; set; }
    [BsonElement("accountId"), BsonGuidRepresentation(GuidRepresentation.Standard)] public Guid AccountId { get; set; }
    [BsonElement("purpose")] public string Purpose { get; set; } = "";
    [BsonElement("codeHash")] public byte[] CodeHash { get; set; } = [];
    [BsonElement("expiresAt")] public long ExpiresAt { get; set; }
    [BsonElement("failedAttempts")] public int FailedAttempts { get; set; }
}

internal static class MongoSecondFactorCollections
{
    public static IMongoCollection<TotpSecretDocument> TotpSecrets(this MongoContext context) =>
        context.Database.GetCollection<TotpSecretDocument>(TotpSecretDocument.CollectionName);

    public static IMongoCollection<RecoveryCodesDocument> RecoveryCodes(this MongoContext context) =>
        context.Database.GetCollection<RecoveryCodesDocument>(RecoveryCodesDocument.CollectionName);

    public static IMongoCollection<PasskeyDocument> Passkeys(this MongoContext context) =>
        context.Database.GetCollection<PasskeyDocument>(PasskeyDocument.CollectionName);

    public static IMongoCollection<OneTimeCodeDocument> OneTimeCodes(this MongoContext context) =>
        context.Database.GetCollection<OneTimeCodeDocument>(OneTimeCodeDocument.CollectionName);
}
