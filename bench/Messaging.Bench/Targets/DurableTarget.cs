using Messaging.Bench.Load;
using Messaging.Contracts;
using Messaging.Testing;

namespace Messaging.Bench.Targets;

/// <summary>
/// The real server (<c>Messaging.Server</c>, Release build) as its own process with the embedded SQLite store in a
/// temp folder. Devices come in pairs: two doctors of the scenario's practice (invited and verified by TOTP), one
/// conversation, one device each, real identities and device sessions opened with a signed challenge, all through the
/// HTTP API. A delivery counts when the copy reaches the receiving device, which acknowledges it without waiting for
/// an answer (<see cref="HubMethods.AcknowledgeQuietly"/>); once the load stops, every device drains its queue and must
/// find it empty (<see cref="NothingLeftAsync"/>), so a copy stored, pushed and never deleted cannot pass unseen.
/// </summary>
internal sealed class DurableTarget : BenchTarget
{
    /// <summary>A backlog's drain acknowledges in batches, like a client working through its queue.</summary>
    private const int MaxAcksPerCall = 100;

    /// <summary>Server settings for the benchmark: quiet logs (each log line costs), tokens that outlive the run, no send cap.</summary>
    public static readonly IReadOnlyDictionary<string, string> Environment = new Dictionary<string, string>
    {
        ["Logging__LogLevel__Messaging"] = "Warning",
        ["Logging__LogLevel__Microsoft"] = "Warning",
        ["Logging__LogLevel__System"] = "Warning",

        // A failed push is logged at Information (the copy stays queued, nothing is lost), and it is what a phase that
        // ends with copies left wants to know: rare, so it costs nothing in a run that goes well.
        ["Logging__LogLevel__Messaging.Server.Features.Delivery"] = "Information",
        ["Messaging__Tokens__AccessTokenLifetime"] = "02:00:00",

        // The limiter still runs on every send; its bucket (100 sends/s per device by default) is lifted because the
        // backlog's few senders write far faster than a person does.
        ["Messaging__RateLimits__SendsPerMinute"] = "100000000",

        // Acknowledgements of waiting copies are free; this keeps the acknowledgements of a drain's repeated copies from
        // being refused.
        ["Messaging__RateLimits__UnmatchedAcknowledgementsPerMinute"] = "100000000",

        // The generator's own setting is not passed on: the server runs as it is deployed.
        [InlineSocketCompletions.Variable] = "0",
    };

    /// <summary>The message ids of the last copies received, to say of a copy left queued whether it had arrived.</summary>
    private readonly RecentIds received = new(16_384);
    private long acksPending;
    private long acksRefused;
    private long acksFailed;
    private ServerProcess server = null!;
    private RedisServer? redis;
    private Scenario scenario = null!;
    private ProcessMeter meter = null!;

    public override string Name => "durable server";

    public override ProcessMeter Process => meter;

    public override ProcessMeter? Companion => redis?.ProcessId is { } id ? new ProcessMeter(id) : null;

    public TempDirectory Data { get; } = new();

    /// <summary>The doctors (with verified account tokens), for the connection test's devices.</summary>
    public List<TestPerson> People { get; } = [];

    /// <param name="deviceCount">Devices to set up, in pairs.</param>
    /// <param name="backplane">
    /// With SignalR's Redis backplane (a Redis of its own on a free port): every push then goes through Redis and back, as
    /// on a node of several.
    /// </param>
    public async Task StartAsync(int deviceCount, bool backplane)
    {
        var environment = new Dictionary<string, string>(Environment);
        if (backplane)
        {
            redis = await RedisServer.StartAsync();
            environment["Messaging__Redis__ConnectionString"] = redis.ConnectionString;
        }

        server = new ServerProcess(Data, environment);
        await server.StartAsync();
        meter = new ProcessMeter(server.ProcessId ?? throw new InvalidOperationException("The server is not running."));
        scenario = await Scenario.StartAsync(server);

        var hub = new Uri(server.BaseAddress, Routes.Hub);
        var pairs = new (BenchDevice A, BenchDevice B)[deviceCount / 2];
        await HubConnections.ForEachAsync(Enumerable.Range(0, pairs.Length), 4, async (i, _) =>
        {
            var alice = await scenario.MemberAsync();
            var bob = await scenario.MemberAsync();
            var conversation = await scenario.ConversationAsync(alice, bob);
            pairs[i] = (await ConnectAsync(hub, alice, conversation), await ConnectAsync(hub, bob, conversation));
            lock (People)
            {
                People.AddRange([alice, bob]);
            }
        });

        foreach (var (a, b) in pairs)
        {
            (a.Peer, b.Peer) = (b, a);
        }

        Devices = [.. pairs.SelectMany(p => new[] { p.A, p.B })];
    }

    public override async Task SendAsync(BenchDevice from, byte[] payload)
    {
        var result = await from.Connection.InvokeAsync<SendResult>(HubMethods.Send, new SendRequest
        {
            ConversationId = from.ConversationId,
            MessageId = Guid.CreateVersion7(),
            Copies = [new OutgoingCopy { DeviceId = from.Peer.Id, Ciphertext = payload }],
        });
        if (result.Error is { } error)
        {
            throw new InvalidOperationException($"The server refused a send: {error.Code}");
        }
    }

    /// <summary>The database file with its WAL, in bytes.</summary>
    public long DatabaseBytes => Directory.EnumerateFiles(Data.Path, "messaging.db*").Sum(f => new FileInfo(f).Length);

    /// <summary>
    /// Pairs whose sender is connected and whose recipient has a registered device that stays offline: what is sent
    /// to it waits in the queue (<see cref="Load.BacklogTest"/>).
    /// </summary>
    public async Task<IReadOnlyList<ParkedPair>> ParkAsync(int pairs)
    {
        var hub = new Uri(server.BaseAddress, Routes.Hub);
        var parked = new ParkedPair[pairs];
        await HubConnections.ForEachAsync(Enumerable.Range(0, pairs), 4, async (i, _) =>
        {
            var alice = await scenario.MemberAsync();
            var bob = await scenario.MemberAsync();
            var conversation = await scenario.ConversationAsync(alice, bob);
            var sender = await ConnectAsync(hub, alice, conversation);
            var offline = await scenario.RegisterDeviceAsync(bob);
            sender.Peer = new BenchDevice(offline.DeviceId, conversation, connection: null!); // never connected: a send only needs its id
            parked[i] = new ParkedPair(sender, bob, offline.DeviceId);
        });
        return parked;
    }

    /// <summary>
    /// Connects the parked recipients and drains their queues as a client does (the Drain stream, acknowledgements of up
    /// to <see cref="MaxAcksPerCall"/> copies); returns how many copies were acknowledged.
    /// </summary>
    public async Task<long> DrainParkedAsync(IReadOnlyList<ParkedPair> parked)
    {
        var hub = new Uri(server.BaseAddress, Routes.Hub);
        var removed = 0L;
        await HubConnections.ForEachAsync(parked, parked.Count, async (pair, cancellationToken) =>
        {
            var token = await scenario.DeviceSessionAsync(pair.Recipient, pair.RecipientDeviceId);
            await using var connection = new LeanHubConnection();
            await connection.StartAsync(hub, token.AccessToken, cancellationToken);
            var batch = new List<DeliveryRef>(MaxAcksPerCall);
            await foreach (var delivery in connection.StreamAsync<Delivery>(HubMethods.Drain, cancellationToken))
            {
                batch.Add(new DeliveryRef { ConversationId = delivery.ConversationId, MessageId = delivery.MessageId });
                if (batch.Count == MaxAcksPerCall)
                {
                    Interlocked.Add(ref removed, await AcknowledgeAsync(connection, batch));
                }
            }

            Interlocked.Add(ref removed, await AcknowledgeAsync(connection, batch));
        });
        return removed;
    }

    /// <summary>Stops the server process (its data stays, for the connection test) and disconnects the devices.</summary>
    public async Task StopServerAsync()
    {
        await DisconnectAllAsync();
        await scenario.DisposeAsync();
        await server.KillAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await server.DisposeAsync();
        if (redis is not null)
        {
            await redis.DisposeAsync();
        }

        Data.Dispose();
    }

    private async Task<BenchDevice> ConnectAsync(Uri hub, TestPerson person, Guid conversation)
    {
        var device = await scenario.RegisterDeviceAsync(person);
        var token = await scenario.DeviceSessionAsync(person, device.DeviceId);
        var connection = new LeanHubConnection();
        connection.On<Delivery>(HubMethods.Receive, delivery =>
        {
            Recorder.Received(delivery.Ciphertext);
            received.Add(delivery.MessageId);
            Interlocked.Increment(ref acksPending);
            _ = AcknowledgeNowAsync(connection, new DeliveryRef { ConversationId = delivery.ConversationId, MessageId = delivery.MessageId });
            Recorder.DeliveredCopies(1);
        });
        connection.On<HubError>(HubMethods.AcknowledgeRefused, _ => Interlocked.Increment(ref acksRefused));
        await connection.StartAsync(hub, token.AccessToken);
        return new BenchDevice(device.DeviceId, conversation, connection);
    }

    /// <summary>
    /// Acknowledges one copy as it arrives, without waiting for an answer, as the SDK's <c>SecureMessenger</c> does
    /// once it has stored a message (a channel and a loop per device that batched acknowledgements cost the generator
    /// about 20 µs more per delivery, and under this closed loop a device has one copy at a time to acknowledge).
    /// </summary>
    private async Task AcknowledgeNowAsync(LeanHubConnection connection, DeliveryRef delivery)
    {
        try
        {
            await connection.SendAsync(HubMethods.AcknowledgeQuietly, new AcknowledgeRequest { Deliveries = [delivery] });
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException or IOException)
        {
            // The connection closed at the end of the run (counted: before the end it leaves a copy queued).
            Interlocked.Increment(ref acksFailed);
        }
        finally
        {
            Interlocked.Decrement(ref acksPending);
        }
    }

    private static async Task<int> AcknowledgeAsync(LeanHubConnection connection, List<DeliveryRef> batch)
    {
        if (batch.Count == 0)
        {
            return 0;
        }

        var result = await connection.InvokeAsync<AcknowledgeResult>(HubMethods.Acknowledge, new AcknowledgeRequest { Deliveries = [.. batch] });
        batch.Clear();
        return result.Error is null ? result.Removed : throw new InvalidOperationException($"The server refused an acknowledgement: {result.Error.Code}");
    }

    /// <summary>The server's warnings and errors so far (its log holds ids and codes, never content or names).</summary>
    protected override void ReportTrouble()
    {
        var lines = server.Output.Split('\n').Where(line => line.Contains("\"LogLevel\":\"Warning\"", StringComparison.Ordinal)
            || line.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal)
            || line.Contains("Features.Delivery", StringComparison.Ordinal)).TakeLast(20).ToList();
        ProgressLog.Write($"{Name}: the last {lines.Count} warnings, errors and delivery notes in its log:");
        lines.ForEach(Console.Error.WriteLine);
    }

    /// <summary>
    /// Waits until every acknowledgement was sent, then drains each device's queue on its own connection (the server
    /// reads it once those acknowledgements are applied) and expects nothing.
    /// </summary>
    protected override async Task<bool> NothingLeftAsync(CancellationToken cancellationToken)
    {
        while (Interlocked.Read(ref acksPending) > 0)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), CancellationToken.None);
        }

        // Each drain runs on the device's own connection, so the server reads its queue only once the acknowledgements
        // sent before it are applied (Delivery/AcknowledgementsInFlight.cs).
        var left = await DrainAllAsync();
        var refused = Interlocked.Read(ref acksRefused);
        if (left.Count > 0 || refused > 0)
        {
            ProgressLog.Write($"{Name}: {left.Count:N0} copies still queued after every acknowledgement was dealt with, "
                + $"{refused:N0} acknowledgements refused, {Interlocked.Read(ref acksFailed):N0} could not be sent; since the start "
                + $"{Recorder.Sent:N0} sends acknowledged, {Recorder.SendErrors:N0} failed, {Recorder.Delivered:N0} copies received");
            foreach (var copy in left.Take(5))
            {
                ProgressLog.Write($"{Name}: left: message {copy.MessageId} (sequence {copy.Sequence}), received {received.Count(copy.MessageId)} times among the last {received.Capacity:N0} copies");
            }

            ReportTrouble();
        }

        return left.Count == 0 && refused == 0;
    }

    /// <summary>What every device's queue still holds, read with the Drain stream as a client reads it.</summary>
    private async Task<List<Delivery>> DrainAllAsync()
    {
        var left = new List<Delivery>();
        await HubConnections.ForEachAsync(Devices, 16, async (device, ct) =>
        {
            await foreach (var copy in device.Connection.StreamAsync<Delivery>(HubMethods.Drain, ct))
            {
                lock (left)
                {
                    left.Add(copy);
                }
            }
        });
        return left;
    }
}

/// <summary>A connected sender whose recipient's device stays offline until the drain.</summary>
internal sealed record ParkedPair(BenchDevice Sender, TestPerson Recipient, Guid RecipientDeviceId);
