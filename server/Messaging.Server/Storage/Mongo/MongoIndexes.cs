using MongoDB.Bson;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

/// <summary>
/// The indexes, mirroring the SQLite schema. Creating an index that already exists with the same keys, name and
/// options does nothing, so this runs at every start-up; an index changed in place fails loudly instead (give the
/// new one a new name and drop the old). Creating them also creates the collections, which transactions on older
/// servers (before 4.4) cannot do themselves.
/// </summary>
internal static class MongoIndexes
{
    public static async Task EnsureAsync(MongoContext context, CancellationToken cancellationToken)
    {
        await context.Accounts.Indexes.CreateManyAsync(
        [
            Unique(Builders<AccountDocument>.IndexKeys.Ascending(a => a.LoginIndex), "accounts_by_login_index"),
            // Partial: only accounts that have an email index are in it, so any number of accounts may have none.
            new CreateIndexModel<AccountDocument>(
                Builders<AccountDocument>.IndexKeys.Ascending(a => a.EmailIndex),
                new CreateIndexOptions<AccountDocument>
                {
                    Name = "accounts_by_email_index",
                    Unique = true,
                    PartialFilterExpression = Builders<AccountDocument>.Filter.Type(a => a.EmailIndex, BsonType.Binary),
                }),
        ], cancellationToken);

        await context.Devices.Indexes.CreateManyAsync(
        [
            Plain(Builders<DeviceDocument>.IndexKeys.Ascending(d => d.AccountId), "devices_by_account"),
        ], cancellationToken);

        await context.Conversations.Indexes.CreateManyAsync(
        [
            // Multikey: one entry per member, for "the conversations of this account".
            Plain(Builders<ConversationDocument>.IndexKeys.Ascending(c => c.Members), "conversations_by_member"),
        ], cancellationToken);

        var messages = Builders<MessageDocument>.IndexKeys;
        await context.Messages.Indexes.CreateManyAsync(
        [
            // The idempotency key: a second insert of the same message id fails with a duplicate-key error.
            Unique(messages.Ascending(m => m.ConversationId).Ascending(m => m.MessageId), "messages_by_id"),
            // Times are ticks, not BSON dates, so no TTL index: the sweeper (PurgeExpiredAsync) deletes, as on SQLite.
            Plain(messages.Ascending(m => m.ExpiresAt), "messages_by_expiry"),
        ], cancellationToken);

        var queue = Builders<QueueDocument>.IndexKeys;
        await context.Queue.Indexes.CreateManyAsync(
        [
            Unique(
                queue.Ascending(q => q.DeviceId).Ascending(q => q.EnqueuedAt).Ascending(q => q.ConversationId).Ascending(q => q.Sequence),
                "queue_order"),
            Unique(queue.Ascending(q => q.DeviceId).Ascending(q => q.ConversationId).Ascending(q => q.MessageId), "queue_by_message"),
            Plain(queue.Ascending(q => q.ExpiresAt), "queue_by_expiry"),
            Plain(queue.Ascending(q => q.ConversationId).Ascending(q => q.MessageId), "queue_by_conversation_message"),
        ], cancellationToken);

        await context.AuditEvents.Indexes.CreateManyAsync(
        [
            Plain(Builders<AuditEventDocument>.IndexKeys.Descending(e => e.At).Descending(e => e.Id), "audit_by_time"),
        ], cancellationToken);

        // The key directory: device_prekeys is found by _id only; one-time prekeys by id (unique per device and kind)
        // and in the order they are handed out.
        await context.EnsureCollectionAsync(DevicePrekeysDocument.CollectionName, cancellationToken);
        var prekeys = Builders<OneTimePrekeyDocument>.IndexKeys;
        await context.OneTimePrekeys().Indexes.CreateManyAsync(
        [
            Unique(prekeys.Ascending(k => k.DeviceId).Ascending(k => k.Kind).Ascending(k => k.KeyId), "one_time_prekeys_by_id"),
            Plain(prekeys.Ascending(k => k.DeviceId).Ascending(k => k.Kind).Ascending(k => k.Batch).Ascending(k => k.Order), "one_time_prekeys_order"),
        ], cancellationToken);

        await EnsureAccountIndexesAsync(context, cancellationToken);
        await EnsureNotificationIndexesAsync(context, cancellationToken);
    }

    /// <summary>
    /// The notification outbox: by patient and creation time (the debounce), by state and due time (the senders' scan),
    /// by closing time (the sweep).
    /// Links are found by their <c>_id</c> (the token hash); guards, by theirs (the patient), and written in transactions.
    /// </summary>
    private static async Task EnsureNotificationIndexesAsync(MongoContext context, CancellationToken cancellationToken)
    {
        var notifications = Builders<NotificationDocument>.IndexKeys;
        await context.Notifications().Indexes.CreateManyAsync(
        [
            Plain(notifications.Ascending(n => n.PatientAccountId).Ascending(n => n.CreatedAt), "notifications_by_patient"),
            Plain(notifications.Ascending(n => n.State).Ascending(n => n.DueAt), "notifications_due"),
            Plain(notifications.Ascending(n => n.ClosedAt), "notifications_by_closing"),
        ], cancellationToken);
        await context.EnsureCollectionAsync(NotificationGuardDocument.CollectionName, cancellationToken);
        await context.NotificationLinks().Indexes.CreateManyAsync(
        [
            Plain(Builders<NotificationLinkDocument>.IndexKeys.Ascending(l => l.ExpiresAt), "notification_links_by_expiry"),
        ], cancellationToken);
    }

    /// <summary>
    /// Accounts, practices, sessions, second factors. Refresh tokens and passkeys are unique by their <c>_id</c> (the
    /// token hash, the credential id); <c>refresh_tokens</c> is created here because a rotation's transaction writes it.
    /// </summary>
    private static async Task EnsureAccountIndexesAsync(MongoContext context, CancellationToken cancellationToken)
    {
        var memberships = Builders<MembershipDocument>.IndexKeys;
        await context.Memberships().Indexes.CreateManyAsync(
        [
            Unique(memberships.Ascending(m => m.PracticeId).Ascending(m => m.AccountId).Ascending(m => m.Role), "memberships_by_role"),
            Plain(memberships.Ascending(m => m.AccountId), "memberships_by_account"),
        ], cancellationToken);

        await context.Invitations().Indexes.CreateManyAsync(
        [
            Unique(Builders<InvitationDocument>.IndexKeys.Ascending(i => i.TokenHash), "invitations_by_token_hash"),
            Plain(Builders<InvitationDocument>.IndexKeys.Ascending(i => i.ExpiresAt), "invitations_by_expiry"),
        ], cancellationToken);

        var families = Builders<SessionFamilyDocument>.IndexKeys;
        await context.SessionFamilies().Indexes.CreateManyAsync(
        [
            Plain(families.Ascending(f => f.AccountId), "session_families_by_account"),
            Plain(families.Ascending(f => f.DeviceId), "session_families_by_device"),
            Plain(families.Ascending(f => f.CreatedAt), "session_families_by_creation"),
        ], cancellationToken);
        await context.RefreshTokens().Indexes.CreateManyAsync(
        [
            Plain(Builders<RefreshTokenDocument>.IndexKeys.Ascending(t => t.IssuedAt), "refresh_tokens_by_issue"),
        ], cancellationToken);

        await context.Passkeys().Indexes.CreateManyAsync(
        [
            Plain(Builders<PasskeyDocument>.IndexKeys.Ascending(p => p.AccountId), "passkeys_by_account"),
        ], cancellationToken);

        await context.OneTimeCodes().Indexes.CreateManyAsync(
        [
            Unique(Builders<OneTimeCodeDocument>.IndexKeys.Ascending(c => c.AccountId).Ascending(c => c.Purpose), "one_time_codes_by_purpose"),
        ], cancellationToken);
    }

    private static CreateIndexModel<T> Unique<T>(IndexKeysDefinition<T> keys, string name) =>
        new(keys, new CreateIndexOptions { Name = name, Unique = true });

    private static CreateIndexModel<T> Plain<T>(IndexKeysDefinition<T> keys, string name) =>
        new(keys, new CreateIndexOptions { Name = name });
}
