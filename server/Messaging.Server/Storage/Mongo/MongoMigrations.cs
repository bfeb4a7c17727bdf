using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

/// <summary>
/// Changes to stored data, as SQLite's migrations make them; each is idempotent and runs at every start-up, after the
/// indexes (<see cref="MongoContext.EnsureIndexesAsync"/>).
/// </summary>
internal static class MongoMigrations
{
    /// <summary>The account kinds before practices, and what they became (as SQLite's migration 4).</summary>
    private static readonly (string Old, string New)[] AccountKinds = [("admin", "operator"), ("member", "staff")];

    public static async Task ApplyAsync(MongoContext context, CancellationToken cancellationToken)
    {
        foreach (var (old, renamed) in AccountKinds)
        {
            await context.Accounts.UpdateManyAsync(
                Builders<AccountDocument>.Filter.Eq(a => a.Kind, old),
                Builders<AccountDocument>.Update.Set(a => a.Kind, renamed),
                cancellationToken: cancellationToken);
        }
    }
}
