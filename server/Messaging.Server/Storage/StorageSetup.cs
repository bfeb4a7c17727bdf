using Messaging.Server.Hosting;
using Messaging.Server.Storage.Mongo;
using Messaging.Server.Storage.Sqlite;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Messaging.Server.Storage;

internal static class StorageSetup
{
    /// <summary>MongoDB when a connection string is configured, otherwise the embedded SQLite file.</summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, MessagingOptions options, string dataDirectory)
    {
        if (!string.IsNullOrWhiteSpace(options.Storage.MongoConnectionString))
        {
            services.AddMongoStorage(options.Storage.MongoConnectionString, options.Storage.MongoDatabase);
        }
        else
        {
            services.AddSqliteStorage(dataDirectory);
        }

        services.AddHealthChecks().AddCheck<StoreHealthCheck>("store", tags: ["ready"]);
        return services;
    }

    private sealed class StoreHealthCheck(IStoreHealth store) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            await store.IsReadyAsync(cancellationToken)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The store does not answer.");
    }
}
