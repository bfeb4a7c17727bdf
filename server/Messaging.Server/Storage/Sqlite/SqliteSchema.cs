using Microsoft.Data.Sqlite;

namespace Messaging.Server.Storage.Sqlite;

/// <summary>
/// Versioned schema. Each migration runs once, in its own transaction, and is recorded in schema_migrations.
/// Never edit a released migration: add the next one.
/// </summary>
internal static class SqliteSchema
{
    private static readonly string[] Migrations =
    [
        // 1: accounts, devices, conversations, the message queue, the audit log.
        """
        CREATE TABLE accounts (
            id TEXT PRIMARY KEY,
            login_index BLOB NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL,
            created_at INTEGER NOT NULL);

        CREATE TABLE devices (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            identity BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER);
        CREATE INDEX devices_by_account ON devices(account_id);

        CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            created_by TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            last_sequence INTEGER NOT NULL DEFAULT 0,
            last_enqueued_at INTEGER NOT NULL DEFAULT 0);

        CREATE TABLE conversation_members (
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            account_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            PRIMARY KEY (conversation_id, account_id)) WITHOUT ROWID;
        CREATE INDEX members_by_account ON conversation_members(account_id);

        CREATE TABLE messages (
            conversation_id TEXT NOT NULL,
            message_id TEXT NOT NULL,
            sender_account_id TEXT NOT NULL,
            sender_device_id TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            accepted_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            PRIMARY KEY (conversation_id, message_id)) WITHOUT ROWID;
        CREATE INDEX messages_by_expiry ON messages(expires_at);

        CREATE TABLE queue (
            device_id TEXT NOT NULL,
            enqueued_at INTEGER NOT NULL,
            conversation_id TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            message_id TEXT NOT NULL,
            sender_account_id TEXT NOT NULL,
            sender_device_id TEXT NOT NULL,
            accepted_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            ciphertext BLOB NOT NULL);
        CREATE UNIQUE INDEX queue_order ON queue(device_id, enqueued_at, conversation_id, sequence);
        CREATE UNIQUE INDEX queue_by_message ON queue(device_id, conversation_id, message_id);
        CREATE INDEX queue_by_expiry ON queue(expires_at);

        CREATE TABLE audit_events (
            id TEXT PRIMARY KEY,
            at INTEGER NOT NULL,
            action TEXT NOT NULL,
            outcome TEXT NOT NULL,
            account_id TEXT,
            device_id TEXT,
            target TEXT,
            reason TEXT);
        CREATE INDEX audit_by_time ON audit_events(at);
        """,

        // 2: the key directory. Public keys only: the signed prekey and the last-resort KEM prekey of each device
        // (kind 'spk' / 'pqspk', one of each, replaced on upload), and the one-time prekeys (kind 'opk' / 'pqopk'),
        // handed out oldest first (position) and deleted as they are.
        """
        CREATE TABLE signed_prekeys (
            device_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            key_id INTEGER NOT NULL,
            public_key BLOB NOT NULL,
            signature BLOB NOT NULL,
            uploaded_at INTEGER NOT NULL,
            PRIMARY KEY (device_id, kind)) WITHOUT ROWID;

        CREATE TABLE one_time_prekeys (
            position INTEGER PRIMARY KEY,
            device_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            key_id INTEGER NOT NULL,
            public_key BLOB NOT NULL,
            signature BLOB,
            uploaded_at INTEGER NOT NULL);
        CREATE UNIQUE INDEX one_time_prekeys_by_id ON one_time_prekeys(device_id, kind, key_id);
        CREATE INDEX one_time_prekeys_order ON one_time_prekeys(device_id, kind, position);
        """,

        // 3: the copies of one message, across devices, for pushing them again when its sender retries.
        """
        CREATE INDEX queue_by_conversation_message ON queue(conversation_id, message_id);
        """,
    ];

    public static int LatestVersion => Migrations.Length;

    public static void Apply(SqliteConnection connection)
    {
        Execute(connection, null, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);");
        for (var version = CurrentVersion(connection) + 1; version <= Migrations.Length; version++)
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            Execute(connection, transaction, Migrations[version - 1]);
            Execute(connection, transaction, $"INSERT INTO schema_migrations (version, applied_at) VALUES ({version}, {DateTimeOffset.UtcNow.UtcTicks});");
            transaction.Commit();
        }
    }

    public static int CurrentVersion(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT coalesce(max(version), 0) FROM schema_migrations;";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
