using System.Globalization;
using Messaging.Server.Storage.Sqlite;

namespace Messaging.Server.Tests.Storage;

/// <summary>The storage contract on a real SQLite file, new for each test, deleted after it.</summary>
public sealed class SqliteStoreContractTests : StoreContractTests
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "messaging-store-tests", Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture));
    private SqliteDatabase? database;

    private protected override Task<StoreSet?> CreateStoresAsync()
    {
        database = new SqliteDatabase(Path.Combine(directory, SqliteStorage.FileName));
        database.Migrate();
        return Task.FromResult<StoreSet?>(new StoreSet(
            new SqliteAccountStore(database),
            new SqliteDeviceStore(database),
            new SqliteConversationStore(database),
            new SqliteMessageStore(database),
            new SqliteAuditLog(database),
            new SqlitePrekeyStore(database),
            new SqlitePracticeStore(database),
            new SqliteInvitationStore(database),
            new SqliteSessionStore(database),
            new SqliteSecondFactorStore(database),
            new SqliteNotificationStore(database),
            database));
    }

    private protected override ValueTask DeleteDatabaseAsync()
    {
        database?.Dispose();
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        return ValueTask.CompletedTask;
    }
}
