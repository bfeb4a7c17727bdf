using System.Globalization;
using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Delivery;
using Messaging.Server.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Messaging.Server.Tests.Storage;

/// <summary>Migrations on files written by earlier versions: nothing stored is lost, and the stores read it as before.</summary>
public sealed class SqliteSchemaTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 8, 0, 0, TimeSpan.Zero);

    private readonly string directory = Path.Combine(Path.GetTempPath(), "messaging-schema-tests", Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture));

    private string FilePath => Path.Combine(directory, SqliteStorage.FileName);

    [Fact]
    public async Task Migrate_FromVersion3_RenamesAccountKindsAndKeepsEverythingElse()
    {
        var (admin, member, patient, conversation) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        using var database = MigratedFrom(
            3,
            $"INSERT INTO accounts VALUES ('{admin:D}', x'01', 'hash-a', 'admin', {T0.UtcTicks});",
            $"INSERT INTO accounts VALUES ('{member:D}', x'02', 'hash-m', 'member', {T0.UtcTicks});",
            $"INSERT INTO accounts VALUES ('{patient:D}', x'03', 'hash-p', 'patient', {T0.UtcTicks});",
            $"INSERT INTO conversations (id, created_by, created_at) VALUES ('{conversation:D}', '{member:D}', {T0.UtcTicks});",
            $"INSERT INTO conversation_members VALUES ('{conversation:D}', '{member:D}', 0);");
        var accounts = new SqliteAccountStore(database);
        var ct = TestContext.Current.CancellationToken;

        Assert.Equal(SqliteSchema.LatestVersion, await database.ReadAsync(c => Task.FromResult(SqliteSchema.CurrentVersion(c))));
        Assert.Equal(Roles.Operator, (await accounts.FindAsync(admin, ct))!.Kind);
        Assert.Equal(Roles.Staff, (await accounts.FindAsync(member, ct))!.Kind);
        var migrated = await accounts.FindAsync(patient, ct);
        Assert.Equal(Roles.Patient, migrated!.Kind);
        Assert.Equal("hash-p", migrated.PasswordHash);
        Assert.Equal("fr", migrated.Language);
        Assert.Null(migrated.EmailIndex);
        Assert.Null(migrated.Consent);
        Assert.Equal(SignInState.None, await accounts.GetSignInStateAsync(patient, ct));
        var found = await new SqliteConversationStore(database).FindAsync(conversation, ct);
        Assert.Equal(Guid.Empty, found!.PracticeId);
        Assert.Equal([member], found.Members);
    }

    [Fact]
    public async Task Migrate_FromVersion5_KeepsStoredMessagesWithTheirAcknowledgementsAndIdempotency()
    {
        // Migration 6 rebuilds the messages table with a new key: the messages stored before must still answer a
        // retry with their first acknowledgement and refuse a stolen id.
        var (member, device, conversation, message) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.CreateVersion7());
        using var database = MigratedFrom(
            5,
            $"INSERT INTO conversations (id, created_by, created_at, last_sequence) VALUES ('{conversation:D}', '{member:D}', {T0.UtcTicks}, 7);",
            $"INSERT INTO messages VALUES ('{conversation:D}', '{message:D}', '{member:D}', '{device:D}', 7, {T0.UtcTicks}, {T0.AddDays(30).UtcTicks});");
        var messages = new SqliteMessageStore(database);
        var ct = TestContext.Current.CancellationToken;
        MessageBatch Retry(Guid fromDevice) => new(conversation, message, member, fromDevice, [], T0.AddMinutes(5), T0.AddDays(30));

        var found = await messages.FindAckAsync(conversation, message, ct);
        var retry = await messages.AppendAsync(Retry(device), ct);
        var stolen = await messages.AppendAsync(Retry(Guid.NewGuid()), ct);

        Assert.Equal(SqliteSchema.LatestVersion, await database.ReadAsync(c => Task.FromResult(SqliteSchema.CurrentVersion(c))));
        Assert.Equal(new StoredAck(device, 7, T0), found);
        Assert.Equal((AppendStatus.Duplicate, 7L), (retry.Status, retry.Ack!.Sequence));
        Assert.Equal(AppendStatus.IdConflict, stolen.Status);
    }

    [Fact]
    public async Task Migrate_FromVersion6_KeepsQueuedCopiesReadableAcknowledgeableAndPurgeable()
    {
        // Migration 7 replaces the queue's indexes: the copies waiting before must still be read in order, deleted by
        // an acknowledgement, and purged with their message when it expires.
        var rows = new TextIdRows();
        var (kept, expiring) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        var (device, conversation) = (rows.Device, rows.Conversation);
        using var database = MigratedFrom(
            6, rows.ConversationRow(2), rows.MessageRow(kept, 1, T0.AddDays(30)), rows.MessageRow(expiring, 2, T0.AddDays(1)),
            rows.CopyRow(kept, 1, T0.AddDays(30)), rows.CopyRow(expiring, 2, T0.AddDays(1)));
        var messages = new SqliteMessageStore(database);
        var ct = TestContext.Current.CancellationToken;

        var waiting = await messages.ReadQueueAsync(device, null, 10, T0, ct);
        var purged = await messages.PurgeExpiredAsync(T0.AddDays(2), ct);
        var acknowledged = await messages.DeleteCopiesAsync(device, [new CopyRef(conversation, kept)], ct);

        Assert.Equal([kept, expiring], waiting.Select(c => c.MessageId));
        Assert.Equal(1, purged);
        Assert.Null(await messages.FindAckAsync(conversation, expiring, ct));
        Assert.Equal(1, acknowledged);
        Assert.Empty(await messages.ReadQueueAsync(device, null, 10, T0, ct));
    }

    [Fact]
    public async Task Migrate_FromVersion7_ReadsEveryFieldOfMessagesAndCopiesBackThroughIdsStoredAsBytes()
    {
        // Migration 8 turns the ids of messages and copies from text into bytes, which the server binds from then on:
        // what was stored before reads back whole, field by field, and the bytes are the id's in RFC order.
        var rows = new TextIdRows();
        var (first, second) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        using var database = MigratedFrom(
            7, rows.ConversationRow(2), rows.MessageRow(first, 1, T0.AddDays(30)), rows.MessageRow(second, 2, T0.AddDays(30)),
            rows.CopyRow(first, 1, T0.AddDays(30)), rows.CopyRow(second, 2, T0.AddDays(30)));
        var messages = new SqliteMessageStore(database);
        var ct = TestContext.Current.CancellationToken;

        var waiting = await messages.ReadQueueAsync(rows.Device, null, 10, T0, ct);
        var afterFirst = await messages.ReadQueueAsync(rows.Device, waiting[0].Position, 10, T0, ct);
        var copiesOfSecond = await messages.ReadMessageCopiesAsync(rows.Conversation, second, T0, ct);
        var ack = await messages.FindAckAsync(rows.Conversation, first, ct);
        var storedAs = await database.ReadAsync(c => c.Command("SELECT typeof(message_id), hex(message_id) FROM messages ORDER BY sequence;")
            .ReadAllAsync(r => (r.GetString(0), r.GetString(1)), ct));

        var copy = waiting[0];
        Assert.Equal(
            (rows.Device, rows.Conversation, first, 1L, rows.Member, rows.Sender, T0, new QueuePosition(T0.UtcTicks + 1, rows.Conversation, 1)),
            (copy.DeviceId, copy.ConversationId, copy.MessageId, copy.Sequence, copy.SenderAccountId, copy.SenderDeviceId, copy.AcceptedAt, copy.Position));
        Assert.Equal([0x01], copy.Ciphertext);
        Assert.Equal([second], afterFirst.Select(c => c.MessageId));
        Assert.Equal([rows.Device], copiesOfSecond.Select(c => c.DeviceId));
        Assert.Equal(new StoredAck(rows.Sender, 1, T0), ack);
        Assert.Equal([("blob", Hex(first)), ("blob", Hex(second))], storedAs);
        Assert.Equal(2, await messages.DeleteCopiesAsync(rows.Device, [new CopyRef(rows.Conversation, first), new CopyRef(rows.Conversation, second)], ct));
    }

    [Fact]
    public async Task Migrate_FromVersion8_ReadsEachAuditRowBackAsOneOccurrence()
    {
        var (account, row) = (Guid.NewGuid(), Guid.CreateVersion7());
        using var database = MigratedFrom(
            8,
            $"INSERT INTO audit_events VALUES ('{row:D}', {T0.UtcTicks}, 'http.request', 'denied', '{account:D}', NULL, 'POST /api/sessions', 'rate-limited');");

        Assert.Equal(SqliteSchema.LatestVersion, await database.ReadAsync(c => Task.FromResult(SqliteSchema.CurrentVersion(c))));
        Assert.Equal(
            [new AuditEvent(row, T0, "http.request", "denied", account, null, "POST /api/sessions", ErrorCodes.RateLimited, Occurrences: 1)],
            await new SqliteAuditLog(database).ListRecentAsync(10, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Migrate_RebuildPendingWithLessFreeThanTwiceTheFile_RefusesAndChangesNothing()
    {
        var rows = new TextIdRows();
        var message = Guid.CreateVersion7();
        WriteFileAt(7, rows.ConversationRow(1), rows.MessageRow(message, 1, T0.AddDays(30)), rows.CopyRow(message, 1, T0.AddDays(30)));
        var size = new FileInfo(FilePath).Length;
        string? askedAbout = null;
        using var database = new SqliteDatabase(FilePath);

        var refused = Assert.Throws<IOException>(() => database.Migrate(directory =>
        {
            askedAbout = directory;
            return (2 * size) - 1;
        }));

        Assert.Equal(Path.GetFullPath(directory), askedAbout);
        Assert.StartsWith("Schema migration 8 rewrites the message tables and needs about", refused.Message, StringComparison.Ordinal);
        var (version, storedAs) = await database.ReadAsync(async c => (SqliteSchema.CurrentVersion(c),
            (await c.Command("SELECT typeof(message_id) FROM messages;").ReadAllAsync(r => r.GetString(0), CancellationToken.None)).Single()));
        Assert.Equal(7, version);
        Assert.Equal("text", storedAs);

        database.Migrate(_ => 2 * size);
        Assert.Equal(SqliteSchema.LatestVersion, await database.ReadAsync(c => Task.FromResult(SqliteSchema.CurrentVersion(c))));
    }

    [Fact]
    public void Migrate_NothingToRebuild_RunsWithNoFreeSpace()
    {
        using var database = new SqliteDatabase(FilePath);
        database.Migrate();

        database.Migrate(_ => 0);

        using var connection = database.Open();
        Assert.Null(SqliteSchema.PendingRebuild(connection));
        Assert.Equal(SqliteSchema.LatestVersion, SqliteSchema.CurrentVersion(connection));
    }

    [Fact]
    public void Migrate_Twice_ChangesNothing()
    {
        using var database = new SqliteDatabase(FilePath);
        database.Migrate();

        database.Migrate();

        using var connection = database.Open();
        Assert.Equal(SqliteSchema.LatestVersion, SqliteSchema.CurrentVersion(connection));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string Hex(Guid id) => id.ToString("N", CultureInfo.InvariantCulture).ToUpperInvariant();

    /// <summary>Rows of one conversation's messages and one device's copies as versions 6 and 7 stored them, ids as text.</summary>
    private sealed class TextIdRows
    {
        public Guid Member { get; } = Guid.NewGuid();

        public Guid Sender { get; } = Guid.NewGuid();

        public Guid Device { get; } = Guid.NewGuid();

        public Guid Conversation { get; } = Guid.NewGuid();

        public string ConversationRow(int lastSequence) =>
            $"INSERT INTO conversations (id, created_by, created_at, last_sequence) VALUES ('{Conversation:D}', '{Member:D}', {T0.UtcTicks}, {lastSequence});";

        public string MessageRow(Guid id, int sequence, DateTimeOffset expiresAt) =>
            $"INSERT INTO messages VALUES ('{Conversation:D}', '{id:D}', '{Member:D}', '{Sender:D}', {sequence}, {T0.UtcTicks}, {expiresAt.UtcTicks});";

        /// <summary>A copy enqueued at T0 + sequence ticks, its ciphertext the one byte of its sequence.</summary>
        public string CopyRow(Guid id, int sequence, DateTimeOffset expiresAt) =>
            $"INSERT INTO queue VALUES ('{Device:D}', {T0.UtcTicks + sequence}, '{Conversation:D}', {sequence}, '{id:D}', '{Member:D}', '{Sender:D}', {T0.UtcTicks}, {expiresAt.UtcTicks}, x'0{sequence}');";
    }

    /// <summary>A file at schema <paramref name="version"/> holding the given rows (each insert must add one), then migrated.</summary>
    private SqliteDatabase MigratedFrom(int version, params string[] inserts)
    {
        WriteFileAt(version, inserts);
        var database = new SqliteDatabase(FilePath);
        database.Migrate();
        return database;
    }

    /// <summary>Writes a file at schema <paramref name="version"/> holding the given rows (each insert must add one).</summary>
    private void WriteFileAt(int version, params string[] inserts)
    {
        Directory.CreateDirectory(directory);
        using (var connection = new SqliteConnection($"Data Source={FilePath}"))
        {
            connection.Open();
            SqliteSchema.Apply(connection, version);
            foreach (var sql in inserts)
            {
                using var command = connection.CreateCommand();
                command.CommandText = sql;
                Assert.Equal(1, command.ExecuteNonQuery());
            }
        }

        SqliteConnection.ClearAllPools();
    }
}
