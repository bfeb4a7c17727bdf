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

        // 4: account kinds ('admin' -> 'operator', 'member' -> 'staff'; the role column holds the kind), what accounts
        // gain (email blind index, sealed profile, language, consent, failed sign-ins), practices and memberships,
        // invitations, session families and their refresh tokens, second factors, and the practice of a conversation.
        // Only hashes of tokens and codes are stored; the profile and the TOTP secret are sealed by the server.
        """
        UPDATE accounts SET role = 'operator' WHERE role = 'admin';
        UPDATE accounts SET role = 'staff' WHERE role = 'member';
        ALTER TABLE accounts ADD COLUMN email_index BLOB;
        ALTER TABLE accounts ADD COLUMN profile BLOB;
        ALTER TABLE accounts ADD COLUMN language TEXT NOT NULL DEFAULT 'fr';
        ALTER TABLE accounts ADD COLUMN consent_terms_version TEXT;
        ALTER TABLE accounts ADD COLUMN consent_given_at INTEGER;
        ALTER TABLE accounts ADD COLUMN consent_withdrawn_at INTEGER;
        ALTER TABLE accounts ADD COLUMN failed_sign_ins INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE accounts ADD COLUMN unseen_failed_sign_ins INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE accounts ADD COLUMN last_failed_sign_in_at INTEGER;
        ALTER TABLE accounts ADD COLUMN locked_until INTEGER;
        CREATE UNIQUE INDEX accounts_by_email_index ON accounts(email_index) WHERE email_index IS NOT NULL;

        ALTER TABLE conversations ADD COLUMN practice_id TEXT NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000';

        CREATE TABLE practices (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created_at INTEGER NOT NULL);

        CREATE TABLE memberships (
            practice_id TEXT NOT NULL,
            account_id TEXT NOT NULL,
            role TEXT NOT NULL,
            since INTEGER NOT NULL,
            PRIMARY KEY (practice_id, account_id, role)) WITHOUT ROWID;
        CREATE INDEX memberships_by_account ON memberships(account_id);

        CREATE TABLE invitations (
            id TEXT PRIMARY KEY,
            token_hash BLOB NOT NULL,
            practice_id TEXT NOT NULL,
            role TEXT NOT NULL,
            invited_by TEXT,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            profile BLOB,
            language TEXT NOT NULL,
            used_at INTEGER,
            used_by TEXT);
        CREATE UNIQUE INDEX invitations_by_token_hash ON invitations(token_hash);

        CREATE TABLE session_families (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL,
            device_id TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            last_used_at INTEGER NOT NULL,
            revoked_at INTEGER);
        CREATE INDEX session_families_by_account ON session_families(account_id);
        CREATE INDEX session_families_by_device ON session_families(device_id);

        CREATE TABLE refresh_tokens (
            token_hash BLOB PRIMARY KEY,
            family_id TEXT NOT NULL,
            issued_at INTEGER NOT NULL,
            used_at INTEGER) WITHOUT ROWID;

        CREATE TABLE totp_secrets (
            account_id TEXT PRIMARY KEY,
            sealed_secret BLOB NOT NULL,
            confirmed INTEGER NOT NULL,
            last_used_step INTEGER NOT NULL,
            created_at INTEGER NOT NULL) WITHOUT ROWID;

        CREATE TABLE recovery_codes (
            account_id TEXT NOT NULL,
            code_hash BLOB NOT NULL,
            used_at INTEGER,
            PRIMARY KEY (account_id, code_hash)) WITHOUT ROWID;

        CREATE TABLE passkeys (
            credential_id BLOB PRIMARY KEY,
            account_id TEXT NOT NULL,
            public_key BLOB NOT NULL,
            sign_count INTEGER NOT NULL,
            user_handle BLOB NOT NULL,
            created_at INTEGER NOT NULL) WITHOUT ROWID;
        CREATE INDEX passkeys_by_account ON passkeys(account_id);

        CREATE TABLE one_time_codes (
            account_id TEXT NOT NULL,
            purpose TEXT NOT NULL,
            code_hash BLOB NOT NULL,
            expires_at INTEGER NOT NULL,
            failed_attempts INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (account_id, purpose)) WITHOUT ROWID;
        """,

        // 5: the outbox of patient notifications (found by patient and creation time for the debounce, by state and
        // due time for the senders' scan) and the links of sent ones, by the hash of their token only.
        """
        CREATE TABLE notifications (
            id TEXT PRIMARY KEY,
            patient_account_id TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            due_at INTEGER NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            lease_until INTEGER,
            last_error TEXT,
            closed_at INTEGER);
        CREATE INDEX notifications_by_patient ON notifications(patient_account_id, created_at);
        CREATE INDEX notifications_due ON notifications(state, due_at);

        CREATE TABLE notification_links (
            token_hash BLOB PRIMARY KEY,
            notification_id TEXT NOT NULL,
            patient_account_id TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            expires_at INTEGER NOT NULL,
            used_at INTEGER) WITHOUT ROWID;
        """,

        // 6: messages keyed by message id first. Message ids are UUIDv7 (time-ordered), so a group commit's new
        // messages land on the last page or two of the table; keyed by conversation first they landed on one page per
        // conversation, and every commit wrote all those pages to the WAL again: at peak the writer now gets through
        // about 11,300 writes/s instead of 8,700 (docs/benchmarks.md). Lookups name both columns, so either order
        // serves them.
        """
        CREATE TABLE messages_by_id (
            conversation_id TEXT NOT NULL,
            message_id TEXT NOT NULL,
            sender_account_id TEXT NOT NULL,
            sender_device_id TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            accepted_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            PRIMARY KEY (message_id, conversation_id)) WITHOUT ROWID;
        INSERT INTO messages_by_id (conversation_id, message_id, sender_account_id, sender_device_id, sequence, accepted_at, expires_at)
            SELECT conversation_id, message_id, sender_account_id, sender_device_id, sequence, accepted_at, expires_at FROM messages;
        DROP TABLE messages;
        ALTER TABLE messages_by_id RENAME TO messages;
        CREATE INDEX messages_by_expiry ON messages(expires_at);
        """,

        // 7: the queue's copies found by message id first, in one index instead of three. Every copy stored or
        // deleted updated five B-trees; three of them began with the device or the conversation, so a group commit
        // touched a page of each per device or conversation in the batch, and wrote each page whole to the WAL.
        // (message id, conversation, device) serves an acknowledgement (all three named) and a sender's retry (the
        // first two), and its new entries land on the last pages, message ids being UUIDv7. Expired copies are found
        // through their message, which has the same expiry, so the queue needs no expiry index of its own.
        """
        CREATE UNIQUE INDEX queue_by_message_id ON queue(message_id, conversation_id, device_id);
        DROP INDEX queue_by_message;
        DROP INDEX queue_by_conversation_message;
        DROP INDEX queue_by_expiry;
        """,

        // 8: the messages and the queue keep their ids as 16-byte blobs instead of 36-character text (SqliteValues.BlobId):
        // every delivery writes a message row, a copy and four index entries, then deletes the copy and its entries,
        // and their ids were most of what is not ciphertext. unhex of the text gives the bytes in RFC order, the order
        // the server writes, so UUIDv7 message ids still sort by time. Other tables keep text ids: none of them is
        // written per delivery, and none is joined with these two.
        """
        CREATE TABLE messages_v8 (
            conversation_id BLOB NOT NULL,
            message_id BLOB NOT NULL,
            sender_account_id BLOB NOT NULL,
            sender_device_id BLOB NOT NULL,
            sequence INTEGER NOT NULL,
            accepted_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            PRIMARY KEY (message_id, conversation_id)) WITHOUT ROWID;
        INSERT INTO messages_v8 (conversation_id, message_id, sender_account_id, sender_device_id, sequence, accepted_at, expires_at)
            SELECT unhex(conversation_id, '-'), unhex(message_id, '-'), unhex(sender_account_id, '-'), unhex(sender_device_id, '-'),
                   sequence, accepted_at, expires_at
            FROM messages;
        DROP TABLE messages;
        ALTER TABLE messages_v8 RENAME TO messages;
        CREATE INDEX messages_by_expiry ON messages(expires_at);

        CREATE TABLE queue_v8 (
            device_id BLOB NOT NULL,
            enqueued_at INTEGER NOT NULL,
            conversation_id BLOB NOT NULL,
            sequence INTEGER NOT NULL,
            message_id BLOB NOT NULL,
            sender_account_id BLOB NOT NULL,
            sender_device_id BLOB NOT NULL,
            accepted_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            ciphertext BLOB NOT NULL);
        INSERT INTO queue_v8 (device_id, enqueued_at, conversation_id, sequence, message_id, sender_account_id, sender_device_id,
                              accepted_at, expires_at, ciphertext)
            SELECT unhex(device_id, '-'), enqueued_at, unhex(conversation_id, '-'), sequence, unhex(message_id, '-'),
                   unhex(sender_account_id, '-'), unhex(sender_device_id, '-'), accepted_at, expires_at, ciphertext
            FROM queue ORDER BY rowid;
        DROP TABLE queue;
        ALTER TABLE queue_v8 RENAME TO queue;
        CREATE UNIQUE INDEX queue_order ON queue(device_id, enqueued_at, conversation_id, sequence);
        CREATE UNIQUE INDEX queue_by_message_id ON queue(message_id, conversation_id, device_id);
        """,

        // 9: an audit row can stand for several rate-limited refusals of one kind (RefusalTally); the rows before
        // stood for one event each. Adding a column with a default rewrites nothing.
        """
        ALTER TABLE audit_events ADD COLUMN occurrences INTEGER NOT NULL DEFAULT 1;
        """,

        // 10: what the record sweeps find by age: session families past the absolute session lifetime, refresh tokens
        // issued before it, expired notification links and invitations, closed notifications (audit events already have
        // audit_by_time).
        """
        CREATE INDEX invitations_by_expiry ON invitations(expires_at);
        CREATE INDEX notifications_by_closing ON notifications(closed_at);
        CREATE INDEX session_families_by_creation ON session_families(created_at);
        CREATE INDEX refresh_tokens_by_issue ON refresh_tokens(issued_at);
        CREATE INDEX notification_links_by_expiry ON notification_links(expires_at);
        """,
    ];

    /// <summary>
    /// The migrations that copy whole tables into new ones (6: messages; 8: messages and queue). Until one commits, the
    /// file and its WAL hold the old tables and the new side by side, so it needs free disk space of about twice the
    /// database (<see cref="SqliteDatabase.Migrate()"/> checks it first).
    /// </summary>
    private static readonly int[] RebuildingVersions = [6, 8];

    public static int LatestVersion => Migrations.Length;

    /// <summary>The first migration still to run that rebuilds tables, if any.</summary>
    public static int? PendingRebuild(SqliteConnection connection)
    {
        var current = CurrentVersion(connection);
        return RebuildingVersions.Where(v => v > current).Cast<int?>().FirstOrDefault();
    }

    public static void Apply(SqliteConnection connection) => Apply(connection, LatestVersion);

    /// <summary>Applies the migrations up to <paramref name="targetVersion"/> only (tests of a migration start there).</summary>
    public static void Apply(SqliteConnection connection, int targetVersion)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targetVersion, LatestVersion);
        Execute(connection, null, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);");
        for (var version = CurrentVersion(connection) + 1; version <= targetVersion; version++)
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            Execute(connection, transaction, Migrations[version - 1]);
            Execute(connection, transaction, $"INSERT INTO schema_migrations (version, applied_at) VALUES ({version}, {DateTimeOffset.UtcNow.UtcTicks});");
            transaction.Commit();
        }
    }

    /// <summary>The version the file is at; 0 for a file no migration ran on.</summary>
    public static int CurrentVersion(SqliteConnection connection)
    {
        // Two statements: SQLite resolves every table a statement names when it prepares it, even in a branch not taken.
        if (Scalar(connection, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations';") == 0)
        {
            return 0;
        }

        return (int)Scalar(connection, "SELECT coalesce(max(version), 0) FROM schema_migrations;");
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
