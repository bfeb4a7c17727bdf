using System.Globalization;
using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
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
        var (member, sender, device, conversation) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var (kept, expiring) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        string Message(Guid id, int sequence, DateTimeOffset expiresAt) =>
            $"INSERT INTO messages VALUES ('{conversation:D}', '{id:D}', '{member:D}', '{sender:D}', {sequence}, {T0.UtcTicks}, {expiresAt.UtcTicks});";
        string Copy(Guid id, int sequence, DateTimeOffset expiresAt) =>
            $"INSERT INTO queue VALUES ('{device:D}', {T0.UtcTicks + sequence}, '{conversation:D}', {sequence}, '{id:D}', '{member:D}', '{sender:D}', {T0.UtcTicks}, {expiresAt.UtcTicks}, x'0{sequence}');";
        using var database = MigratedFrom(
            6,
            $"INSERT INTO conversations (id, created_by, created_at, last_sequence) VALUES ('{conversation:D}', '{member:D}', {T0.UtcTicks}, 2);",
            Message(kept, 1, T0.AddDays(30)),
            Message(expiring, 2, T0.AddDays(1)),
            Copy(kept, 1, T0.AddDays(30)),
            Copy(expiring, 2, T0.AddDays(1)));
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

    /// <summary>A file at schema <paramref name="version"/> holding the given rows (each insert must add one), then migrated.</summary>
    private SqliteDatabase MigratedFrom(int version, params string[] inserts)
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
        var database = new SqliteDatabase(FilePath);
        database.Migrate();
        return database;
    }
}
