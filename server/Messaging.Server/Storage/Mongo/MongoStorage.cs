using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Accounts.SecondFactor;
using Messaging.Server.Features.Accounts.Sessions;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Conversations;
using Messaging.Server.Features.Delivery;
using Messaging.Server.Features.Devices;
using Messaging.Server.Features.Keys;
using Messaging.Server.Features.Notifications;
using Messaging.Server.Features.Practices;

namespace Messaging.Server.Storage.Mongo;

internal static class MongoStorage
{
    /// <summary>
    /// Registers the production store: a MongoDB replica set (transactions need one) at
    /// <paramref name="connectionString"/>, collections in <paramref name="databaseName"/>.
    /// </summary>
    public static IServiceCollection AddMongoStorage(this IServiceCollection services, string connectionString, string databaseName)
    {
        services.AddSingleton(_ =>
        {
            var context = new MongoContext(connectionString, databaseName);
            // Service factories are synchronous. Blocking once here, on the first resolve at start-up (as the SQLite
            // adapter migrates its file), keeps every store from running before its indexes exist, the unique ones
            // above all; ASP.NET Core has no synchronisation context, so the wait cannot deadlock.
            context.EnsureIndexesAsync(CancellationToken.None).GetAwaiter().GetResult();
            return context;
        });
        services.AddSingleton<IStoreHealth>(sp => sp.GetRequiredService<MongoContext>());
        services.AddSingleton<IAccountStore, MongoAccountStore>();
        services.AddSingleton<IDeviceStore, MongoDeviceStore>();
        services.AddSingleton<IConversationStore, MongoConversationStore>();
        services.AddSingleton<IMessageStore, MongoMessageStore>();
        services.AddSingleton<IAuditLog, MongoAuditLog>();
        services.AddSingleton<IPrekeyStore, MongoPrekeyStore>();
        services.AddSingleton<IPracticeStore, MongoPracticeStore>();
        services.AddSingleton<IInvitationStore, MongoInvitationStore>();
        services.AddSingleton<ISessionStore, MongoSessionStore>();
        services.AddSingleton<ISecondFactorStore, MongoSecondFactorStore>();
        services.AddSingleton<INotificationStore, MongoNotificationStore>();
        return services;
    }
}
