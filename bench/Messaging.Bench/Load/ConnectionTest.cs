using Messaging.Bench.Targets;
using Messaging.Client;
using Messaging.Contracts;
using Messaging.Testing;
using Microsoft.AspNetCore.SignalR.Client;

namespace Messaging.Bench.Load;

/// <summary>What holding many idle, authenticated hub connections costs the server.</summary>
internal sealed record ConnectionResult(
    int Requested,
    int Held,
    int Failed,
    string? FirstFailure,
    long ServerBaselineBytes,
    long ServerLoadedBytes,
    long BenchBaselineBytes,
    long BenchLoadedBytes,
    TimeSpan ConnectTime)
{
    public double ServerBytesPerConnection => Held > 0 ? (ServerLoadedBytes - ServerBaselineBytes) / (double)Held : double.NaN;

    public double BenchBytesPerConnection => Held > 0 ? (BenchLoadedBytes - BenchBaselineBytes) / (double)Held : double.NaN;
}

/// <summary>
/// A fresh server process on the durable phase's data: one registered device and one device session per connection
/// (spread over the durable phase's doctors), then every connection opened and held idle past a
/// keep-alive interval. Memory per connection is the server's resident-set growth divided by the connections held.
/// </summary>
internal static class ConnectionTest
{
    private const int Parallelism = 32;

    public static async Task<ConnectionResult> RunAsync(TempDirectory data, IReadOnlyList<TestPerson> people, BenchSettings settings)
    {
        await using var server = new ServerProcess(data, DurableTarget.Environment);
        await server.StartAsync();
        var meter = new ProcessMeter(server.ProcessId ?? throw new InvalidOperationException("The server is not running."));
        var hub = new Uri(server.BaseAddress, Routes.Hub);
        var tokens = await DeviceTokensAsync(server.BaseAddress, people, settings.Connections);

        // Warm up (JIT, pools) with a few connections, closed again, before the baseline is read.
        var warm = await OpenAsync(hub, tokens.Take(Math.Min(50, tokens.Length)));
        await CloseAsync(warm.Open);
        await Settle();
        var serverBaseline = meter.WorkingSet;
        var benchBaseline = BenchWorkingSet();

        var started = TimeProvider.System.GetTimestamp();
        var (open, failed, firstFailure) = await OpenAsync(hub, tokens);
        var connectTime = TimeProvider.System.GetElapsedTime(started);

        // Idle past a keep-alive interval (15 s) in a full run, then count those still up.
        await Task.Delay(settings.IdleHold);
        var held = open.Count(c => c.State == HubConnectionState.Connected);
        var result = new ConnectionResult(
            settings.Connections, held, failed + (open.Count - held), firstFailure, serverBaseline, meter.WorkingSet, benchBaseline, BenchWorkingSet(), connectTime);
        await CloseAsync(open);
        return result;
    }

    private static async Task<string[]> DeviceTokensAsync(Uri server, IReadOnlyList<TestPerson> people, int count)
    {
        using var http = new HttpClient { BaseAddress = server };
        var api = new MessagingApi(http);
        var tokens = new string[count];
        await HubConnections.ForEachAsync(Enumerable.Range(0, count), 8, async (i, cancellationToken) =>
        {
            // The durable phase's verified account tokens outlive the run (see DurableTarget.Environment) and the key
            // file stays in the data folder, so this server process takes them; each device proves its key once.
            var person = people[i % people.Count];
            var identity = TestIdentities.NewIdentity();
            var device = await api.RegisterDeviceAsync(person.Token, new RegisterDeviceRequest(identity.Encoded), cancellationToken);
            var challenge = await api.CreateChallengeAsync(cancellationToken);
            var proof = new DeviceSessionRequest(device.DeviceId, challenge.Challenge, identity.SignSessionChallenge(challenge.Challenge, device.DeviceId));
            tokens[i] = (await api.CreateDeviceSessionAsync(person.Token, proof, cancellationToken)).AccessToken;
        });
        return tokens;
    }

    private static async Task<(List<HubConnection> Open, int Failed, string? FirstFailure)> OpenAsync(Uri hub, IEnumerable<string> tokens)
    {
        var open = new List<HubConnection>();
        var failed = 0;
        string? firstFailure = null;
        await HubConnections.ForEachAsync(tokens, Parallelism, async (token, cancellationToken) =>
        {
            var connection = HubConnections.Create(hub, token);
            try
            {
                await connection.StartAsync(cancellationToken);
                lock (open)
                {
                    open.Add(connection);
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or InvalidOperationException or System.Net.WebSockets.WebSocketException)
            {
                Interlocked.Increment(ref failed);
                Interlocked.CompareExchange(ref firstFailure, $"{e.GetType().Name}: {e.Message}", null);
                await connection.DisposeAsync();
            }
        });
        return (open, failed, firstFailure);
    }

    private static Task CloseAsync(IEnumerable<HubConnection> connections) =>
        HubConnections.ForEachAsync(connections, 64, async (connection, _) => await connection.DisposeAsync());

    /// <summary>The benchmark's own resident set after a full collection (the client side's cost, for the record).</summary>
    private static long BenchWorkingSet()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return ProcessMeter.Self.WorkingSet;
    }

    private static Task Settle() => Task.Delay(TimeSpan.FromSeconds(2));
}
