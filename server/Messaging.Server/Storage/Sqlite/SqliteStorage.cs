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

namespace Messaging.Server.Storage.Sqlite;

internal static class SqliteStorage
{
    public const string FileName = "messaging.db";

    /// <summary>Registers the embedded store: one file, <see cref="FileName"/>, in the data directory.</summary>
    public static IServiceCollection AddSqliteStorage(this IServiceCollection services, string dataDirectory)
    {
        services.AddSingleton(_ =>
        {
            var database = new SqliteDatabase(Path.Combine(dataDirectory, FileName));
            database.Migrate();
            return database;
        });
        services.AddSingleton<IStoreHealth>(sp => sp.GetRequiredService<SqliteDatabase>());
        services.AddSingleton<IAccountStore, SqliteAccountStore>();
        services.AddSingleton<IDeviceStore, SqliteDeviceStore>();
        services.AddSingleton<IConversationStore, SqliteConversationStore>();
        services.AddSingleton<IMessageStore, SqliteMessageStore>();
        services.AddSingleton<IAuditLog, SqliteAuditLog>();
        services.AddSingleton<IPrekeyStore, SqlitePrekeyStore>();
        services.AddSingleton<IPracticeStore, SqlitePracticeStore>();
        services.AddSingleton<IInvitationStore, SqliteInvitationStore>();
        services.AddSingleton<ISessionStore, SqliteSessionStore>();
        services.AddSingleton<ISecondFactorStore, SqliteSecondFactorStore>();
        services.AddSingleton<INotificationStore, SqliteNotificationStore>();
        return services;
    }
}
