using System.Globalization;
using Messaging.Server.Storage.Mongo;

namespace Messaging.Server.Tests.Storage;

/// <summary>
/// The storage contract on MongoDB, when <c>MESSAGING_TEST_MONGODB</c> holds a connection string to a replica set
/// (transactions need one; a single <c>mongod --replSet rs0</c> after <c>rs.initiate()</c> will do). Each test gets
/// a database of its own, dropped after it. Without the variable every test is reported as skipped.
/// </summary>
public sealed class MongoStoreContractTests : StoreContractTests
{
    public const string ConnectionVariable = "MESSAGING_TEST_MONGODB";

    private MongoContext? context;

    private protected override string SkipReason =>
        $"MongoDB contract run skipped: {ConnectionVariable} is not set (no MongoDB server on this machine)";

    private protected override async Task<StoreSet?> CreateStoresAsync()
    {
        var connectionString = Environment.GetEnvironmentVariable(ConnectionVariable);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return null;
        }

        var databaseName = "messaging_test_" + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture)[..16];
        context = new MongoContext(connectionString, databaseName);
        await context.EnsureIndexesAsync(Ct);
        return new StoreSet(
            new MongoAccountStore(context),
            new MongoDeviceStore(context),
            new MongoConversationStore(context),
            new MongoMessageStore(context),
            new MongoAuditLog(context),
            new MongoPrekeyStore(context),
            new MongoPracticeStore(context),
            new MongoInvitationStore(context),
            new MongoSessionStore(context),
            new MongoSecondFactorStore(context),
            new MongoNotificationStore(context),
            context);
    }

    private protected override async ValueTask DeleteDatabaseAsync()
    {
        if (context is null)
        {
            return;
        }

        await context.Database.Client.DropDatabaseAsync(context.Database.DatabaseNamespace.DatabaseName, CancellationToken.None);
        context.Dispose();
    }
}
