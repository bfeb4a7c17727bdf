using MongoDB.Bson;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

/// <summary>
/// The production store: one <see cref="MongoClient"/> (thread-safe, pooled, one per process) and the typed collections.
/// Writes wait for a majority of the replica set with the journal flushed; reads use majority read concern, so nothing
/// read here can be rolled back by a fail-over. <see cref="InTransactionAsync{T}"/> needs a replica set (or a sharded
/// cluster): MongoDB refuses multi-document transactions on a standalone server, and a single node can be started as
/// a one-member replica set (<c>mongod --replSet rs0</c>, then <c>rs.initiate()</c>) for development.
/// </summary>
internal sealed class MongoContext : IStoreHealth, IDisposable
{
    private static readonly WriteConcern DurableWrites = new(WriteConcern.WValue.Parse("majority"), journal: true);

    private static readonly TransactionOptions DurableTransaction = new(
        readConcern: ReadConcern.Snapshot, readPreference: ReadPreference.Primary, writeConcern: DurableWrites);

    private readonly MongoClient client;

    public MongoContext(string connectionString, string databaseName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(databaseName);
        client = new MongoClient(connectionString);
        Database = client.GetDatabase(databaseName, new MongoDatabaseSettings
        {
            WriteConcern = DurableWrites,
            ReadConcern = ReadConcern.Majority,
            ReadPreference = ReadPreference.Primary,
        });
        Accounts = Database.GetCollection<AccountDocument>("accounts");
        Devices = Database.GetCollection<DeviceDocument>("devices");
        Conversations = Database.GetCollection<ConversationDocument>("conversations");
        Messages = Database.GetCollection<MessageDocument>("messages");
        Queue = Database.GetCollection<QueueDocument>("queue");
        AuditEvents = Database.GetCollection<AuditEventDocument>("audit_events");
    }

    public IMongoDatabase Database { get; }

    public IMongoCollection<AccountDocument> Accounts { get; }

    public IMongoCollection<DeviceDocument> Devices { get; }

    public IMongoCollection<ConversationDocument> Conversations { get; }

    public IMongoCollection<MessageDocument> Messages { get; }

    public IMongoCollection<QueueDocument> Queue { get; }

    public IMongoCollection<AuditEventDocument> AuditEvents { get; }

    /// <summary>
    /// Creates the collections' indexes, then brings stored data up to date (<see cref="MongoMigrations"/>).
    /// Idempotent: run at start-up, before the first request.
    /// </summary>
    public async Task EnsureIndexesAsync(CancellationToken cancellationToken)
    {
        await MongoIndexes.EnsureAsync(this, cancellationToken);
        await MongoMigrations.ApplyAsync(this, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one multi-document transaction, committed with majority write concern. The
    /// driver runs it again from the start on a transient error (a write conflict with a concurrent transaction, a
    /// fail-over), so <paramref name="work"/> must read what it needs inside the transaction and keep no state between
    /// runs. Every operation in it must pass the session.
    /// </summary>
    public async Task<T> InTransactionAsync<T>(
        Func<IClientSessionHandle, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        using var session = await client.StartSessionAsync(cancellationToken: cancellationToken);
        return await session.WithTransactionAsync(work, DurableTransaction, cancellationToken);
    }

    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            var reply = await Database.RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: cancellationToken);
            return reply.TryGetValue("ok", out var ok) && ok.ToDouble() == 1.0;
        }
        catch (MongoException)
        {
            return false;
        }
        catch (TimeoutException)
        {
            // Server selection gives up with a TimeoutException when no suitable member answers.
            return false;
        }
    }

    public void Dispose() => client.Dispose();
}
