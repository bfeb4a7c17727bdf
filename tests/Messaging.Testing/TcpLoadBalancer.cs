using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Messaging.Testing;

/// <summary>
/// A tiny layer-4 load balancer on loopback, so that clients of a multi-node test have one URL: each accepted TCP
/// connection is forwarded to the first backend that accepts it, trying the backends in order from a starting
/// point that moves one step per connection (round robin) or stays on the first (failover, for tests that must
/// know where a client lands). A backend that refuses (a killed node) is skipped. No stickiness, no health checks:
/// a connection to a node that dies is closed, and the client's reconnection lands on a live node.
/// </summary>
public sealed class TcpLoadBalancer : IAsyncDisposable
{
    /// <summary>At most this many client connections are forwarded at once; more are closed at once.</summary>
    public const int MaxConnections = 512;

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);

    private readonly TcpListener listener;
    private readonly IPEndPoint[] backends;
    private readonly Uri[] backendUris;
    private readonly bool roundRobin;
    private readonly int[] active;
    private readonly int[] forwarded;
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentDictionary<long, (Socket Client, Task Forwarding)> open = new();
    private readonly Task accepting;
    private long nextId;
    private int turn = -1;

    /// <param name="backends">The nodes' base addresses (loopback IP and port).</param>
    /// <param name="roundRobin">Start each connection at the next backend; when false, always prefer the first live one.</param>
    public TcpLoadBalancer(IReadOnlyList<Uri> backends, bool roundRobin = true)
    {
        ArgumentOutOfRangeException.ThrowIfZero(backends.Count);
        backendUris = [.. backends];
        this.backends = [.. backends.Select(b => new IPEndPoint(IPAddress.Parse(b.Host), b.Port))];
        if (this.backends.Any(b => !IPAddress.IsLoopback(b.Address)))
        {
            throw new ArgumentException("The test load balancer forwards to loopback addresses only.", nameof(backends));
        }

        this.roundRobin = roundRobin;
        active = new int[backends.Count];
        forwarded = new int[backends.Count];
        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        BaseAddress = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
        accepting = AcceptAsync();
    }

    /// <summary>The one address the clients use.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Client connections forwarded to <paramref name="backend"/> and still open.</summary>
    public int ActiveConnections(Uri backend) => Volatile.Read(ref active[IndexOf(backend)]);

    /// <summary>Client connections ever forwarded to <paramref name="backend"/>.</summary>
    public int ForwardedConnections(Uri backend) => Volatile.Read(ref forwarded[IndexOf(backend)]);

    /// <summary>Closes every client connection forwarded so far, as a network failure would; new ones are still forwarded.</summary>
    public void CutAll()
    {
        foreach (var (client, _) in open.Values)
        {
            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        CutAll();

        await accepting;
        await Task.WhenAll(open.Values.Select(o => o.Forwarding));
        stop.Dispose();
    }

    private int IndexOf(Uri backend)
    {
        var index = Array.FindIndex(backendUris, b => b.Port == backend.Port && b.Host == backend.Host);
        return index >= 0 ? index : throw new ArgumentException("Not a backend of this load balancer.", nameof(backend));
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (open.Count >= MaxConnections)
            {
                client.Dispose();
                continue;
            }

            var id = Interlocked.Increment(ref nextId);
            client.NoDelay = true;
            var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            open[id] = (client, ForwardAsync(id, client, registered.Task));
            registered.SetResult();
        }
    }

    private async Task ForwardAsync(long id, Socket client, Task registered)
    {
        // Runs once the accept loop has recorded this connection, so that removing it below cannot come first.
        await registered;
        try
        {
            var start = roundRobin ? (int)((uint)Interlocked.Increment(ref turn) % (uint)backends.Length) : 0;
            for (var i = 0; i < backends.Length && !stop.IsCancellationRequested; i++)
            {
                var index = (start + i) % backends.Length;
                using var backend = await TryConnectAsync(backends[index]);
                if (backend is null)
                {
                    continue; // refused: try the next one
                }

                Interlocked.Increment(ref forwarded[index]);
                Interlocked.Increment(ref active[index]);
                try
                {
                    await PipeAsync(client, backend);
                }
                finally
                {
                    Interlocked.Decrement(ref active[index]);
                }

                return;
            }
        }
        finally
        {
            client.Dispose();
            open.TryRemove(id, out _);
        }
    }

    private async Task<Socket?> TryConnectAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            timeout.CancelAfter(ConnectTimeout);
            await socket.ConnectAsync(endpoint, timeout.Token);
            return socket;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            return null;
        }
    }

    /// <summary>Copies bytes both ways until either side closes or fails, then closes both.</summary>
    private async Task PipeAsync(Socket client, Socket backend)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        await using var clientStream = new NetworkStream(client, ownsSocket: false);
        await using var backendStream = new NetworkStream(backend, ownsSocket: false);
        var up = CopyAsync(clientStream, backendStream, done.Token);
        var down = CopyAsync(backendStream, clientStream, done.Token);
        await Task.WhenAny(up, down);
        await done.CancelAsync();
        client.Dispose();
        backend.Dispose();
        await Task.WhenAll(up, down);
    }

    private static async Task CopyAsync(NetworkStream from, NetworkStream to, CancellationToken cancellationToken)
    {
        try
        {
            await from.CopyToAsync(to, 16 * 1024, cancellationToken);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // One side went away: the pipe ends, and both sockets are closed.
        }
    }
}
