namespace Messaging.Server.Storage.Sqlite;

/// <summary>
/// The statements that read and delete queued copies, named so that <c>SqliteQueryPlanTests</c> can check that each
/// one finds its rows through an index (schema migration 7 keeps two on the queue: by device and by message id).
/// </summary>
internal static class QueueSql
{
    public const string ReadQueue =
        """
        SELECT device_id, conversation_id, message_id, sequence, sender_account_id, sender_device_id,
               accepted_at, ciphertext, enqueued_at
        FROM queue
        WHERE device_id = $device AND expires_at > $now
          AND (enqueued_at, conversation_id, sequence) > ($at, $conversation, $sequence)
        ORDER BY enqueued_at, conversation_id, sequence
        LIMIT $limit;
        """;

    public const string ReadMessageCopies =
        """
        SELECT device_id, conversation_id, message_id, sequence, sender_account_id, sender_device_id,
               accepted_at, ciphertext, enqueued_at
        FROM queue
        WHERE conversation_id = $conversation AND message_id = $message AND expires_at > $now
        ORDER BY device_id;
        """;

    public const string DeleteCopy =
        "DELETE FROM queue WHERE device_id = $device AND conversation_id = $conversation AND message_id = $message;";

    public const string DeleteQueue = "DELETE FROM queue WHERE device_id = $device;";

    /// <summary>
    /// A copy expires with its message (both take the batch's expiry), so the copies are found through the messages'
    /// expiry index: the queue needs none of its own. The purge goes a batch of messages at a time
    /// (<see cref="ExpiredMessages"/>), copies first, in one transaction.
    /// </summary>
    public const string PurgeExpiredCopies =
        $"DELETE FROM queue WHERE (message_id, conversation_id) IN ({ExpiredMessages});";

    public const string PurgeExpiredMessages =
        $"DELETE FROM messages WHERE (message_id, conversation_id) IN ({ExpiredMessages});";

    /// <summary>
    /// The next <c>$limit</c> expired messages, in the order of their expiry index (expiry, then the key it carries), so
    /// that the two purge statements of one transaction pick the same messages: a message deleted without its copies
    /// would leave their ciphertext behind, out of every sweep's reach.
    /// </summary>
    private const string ExpiredMessages =
        """
        SELECT message_id, conversation_id FROM messages WHERE expires_at <= $now
        ORDER BY expires_at, message_id, conversation_id LIMIT $limit
        """;
}
