using System.Net;
using Messaging.Client;
using Messaging.Contracts;
using Messaging.Testing;
using Microsoft.Data.Sqlite;

namespace Messaging.Server.Tests.ScaleOut;

/// <summary>
/// Two server processes share one store (one SQLite file in WAL mode, one key file) and a real Redis backplane;
/// clients reach them through TCP load balancers, one that prefers node A and one that prefers node B.
/// </summary>
internal sealed class TwoNodeCluster : IAsyncDisposable
{
    private readonly TempDirectory data = new();
    private readonly List<MessagingClient> clients = [];

    private TwoNodeCluster(RedisServer redis, IReadOnlyDictionary<string, string>? settings)
    {
        Redis = redis;
        var environment = new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
        {
            ["Messaging__Redis__ConnectionString"] = redis.ConnectionString,
        };
        NodeA = new ServerProcess(data, environment);
        NodeB = new ServerProcess(data, environment);
    }

    /// <summary>Redis runs with a password, so that tests can prove the connection string is never logged.</summary>
    public static string RedisPassword { get; } = $"redis-{Guid.NewGuid():N}";

    public RedisServer Redis { get; }

    public ServerProcess NodeA { get; }

    public ServerProcess NodeB { get; }

    /// <summary>Failover order instead of round robin, so a test knows where each client lands while both nodes live.</summary>
    public TcpLoadBalancer PreferA { get; private set; } = null!;

    /// <inheritdoc cref="PreferA"/>
    public TcpLoadBalancer PreferB { get; private set; } = null!;

    /// <summary>People, conversations and devices, made through node A's API.</summary>
    public Scenario Scenario { get; private set; } = null!;

    /// <param name="settings">Environment variables for both nodes, beside the Redis connection string.</param>
    public static async Task<TwoNodeCluster> StartAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var cluster = new TwoNodeCluster(await RedisServer.StartAsync(RedisPassword), settings);
        try
        {
            // A first: it creates the shared key file, which B then reads (both nodes must sign and check the same tokens).
            await cluster.NodeA.StartAsync();
            await cluster.NodeB.StartAsync();
            cluster.PreferA = new TcpLoadBalancer([cluster.NodeA.BaseAddress, cluster.NodeB.BaseAddress], roundRobin: false);
            cluster.PreferB = new TcpLoadBalancer([cluster.NodeB.BaseAddress, cluster.NodeA.BaseAddress], roundRobin: false);
            cluster.Scenario = await Scenario.StartAsync(cluster.NodeA);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>Everything both nodes logged.</summary>
    public string Logs => NodeA.Output + NodeB.Output;

    public async Task<MessagingClient> ConnectAsync(TestPerson person, TcpLoadBalancer balancer, MessagingProtocol protocol)
    {
        var device = await Scenario.RegisterDeviceAsync(person);
        var client = ClientFor(person, device.DeviceId, balancer, protocol);
        await client.ConnectAsync(Scenario.Timeout());
        return client;
    }

    /// <summary>A client of the device through <paramref name="balancer"/>, not connected yet; disposed with the cluster.</summary>
    public MessagingClient ClientFor(TestPerson person, Guid deviceId, TcpLoadBalancer balancer, MessagingProtocol protocol)
    {
        var client = new MessagingClient(new MessagingClientOptions
        {
            ServerUri = balancer.BaseAddress,
            Session = Scenario.SessionFor(person, deviceId),
            DeviceId = deviceId,
            Protocol = protocol,
            ReconnectBackoff = Scenario.FastBackoff,
            HubCallTimeout = TimeSpan.FromSeconds(30),
        });
        clients.Add(client);
        return client;
    }

    /// <summary>What the node's readiness check answers: its status and its word (Healthy, Degraded).</summary>
    public static async Task<(HttpStatusCode Status, string Body)> ReadinessAsync(ServerProcess node)
    {
        using var http = new HttpClient { BaseAddress = node.BaseAddress };
        using var response = await http.GetAsync(new Uri(Routes.HealthReady, UriKind.Relative), TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    /// <summary>The copies waiting in the shared store for these devices, read from the file itself.</summary>
    public long CountQueued(params Guid[] devices)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(data.Path, "messaging.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM queue WHERE device_id IN ({string.Join(',', devices.Select((_, i) => $"$d{i}"))});";
        for (var i = 0; i < devices.Length; i++)
        {
            command.Parameters.AddWithValue($"$d{i}", Messaging.Server.Storage.Sqlite.SqliteValues.BlobId(devices[i]));
        }

        return (long)command.ExecuteScalar()!;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        if (Scenario is not null)
        {
            await Scenario.DisposeAsync();
        }

        if (PreferA is not null)
        {
            await PreferA.DisposeAsync();
        }

        if (PreferB is not null)
        {
            await PreferB.DisposeAsync();
        }

        await NodeA.DisposeAsync();
        await NodeB.DisposeAsync();
        await Redis.DisposeAsync();
        data.Dispose();
    }
}
