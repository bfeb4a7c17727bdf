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
    }

    private static CreateIndexModel<T> Unique<T>(IndexKeysDefinition<T> keys, string name) =>
        new(keys, new CreateIndexOptions { Name = name, Unique = true });

    private static CreateIndexModel<T> Plain<T>(IndexKeysDefinition<T> keys, string name) =>
        new(keys, new CreateIndexOptions { Name = name });
}
