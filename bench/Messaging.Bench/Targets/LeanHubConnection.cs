using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Messaging.Bench.Targets;

/// <summary>
/// A SignalR client for the load generator: the hub protocol's own MessagePack reader and writer over one
/// <see cref="ClientWebSocket"/>, without <c>HubConnection</c>'s pipes, transport loop and handler dispatch.
/// </summary>
/// <remarks>
/// The generator shares the machine's two cores with the server it measures. With <c>HubConnection</c> it spent
/// 89–104 µs of CPU per durable delivery, two thirds of what the server spent, so the benchmark measured the
/// generator nearly as much as the server. Real clients run on other machines. The frames on the wire are the same
/// (SignalR's <see cref="MessagePackHubProtocol"/> writes and reads them); only the client-side machinery is lighter.
/// Alone it saves little: with the process's socket continuations inline (<see cref="Load.InlineSocketCompletions"/>),
/// which <c>HubConnection</c>'s pipes would hand to the thread pool anyway, the generator spends a third less CPU per
/// delivery (docs/benchmarks.md). A connection's messages are handled in order on its receive loop, as
/// <c>HubConnection</c> handles them.
/// </remarks>
internal sealed class LeanHubConnection : IAsyncDisposable, IInvocationBinder
{
    /// <summary>Under the server's client timeout (30 s): an idle connection says it is alive this often.</summary>
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(10);

    private static readonly MessagePackHubProtocol Protocol = new();

    private readonly ClientWebSocket socket = new();
    private readonly SemaphoreSlim sendLock = new(1, 1);
    private readonly ArrayBufferWriter<byte> frame = new(8_192);
    private readonly ConcurrentDictionary<string, Pending> pending = new();
    private readonly Dictionary<string, (Type Type, Action<object?> Handle)> handlers = [];
    private readonly CancellationTokenSource closing = new();
    private byte[] received = new byte[16_384];
    private int filled;
    private long nextInvocationId;
    private long lastSent = Environment.TickCount64;
    private Task receiving = Task.CompletedTask;
    private Task pinging = Task.CompletedTask;

    /// <summary>Runs <paramref name="handle"/> for each call of <paramref name="method"/> from the hub. Register before starting.</summary>
    public void On<T>(string method, Action<T> handle) => handlers[method] = (typeof(T), argument => handle((T)argument!));

    /// <summary>Opens the WebSocket (no negotiation), authenticates with a bearer token if given, and completes the handshake.</summary>
    public async Task StartAsync(Uri hub, string? accessToken, CancellationToken cancellationToken = default)
    {
        if (accessToken is not null)
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {accessToken}");
        }

        var address = new UriBuilder(hub) { Scheme = hub.Scheme == Uri.UriSchemeHttps ? "wss" : "ws" }.Uri;
        await socket.ConnectAsync(address, cancellationToken);
        var request = new ArrayBufferWriter<byte>();
        HandshakeProtocol.WriteRequestMessage(new HandshakeRequestMessage(Protocol.Name, Protocol.Version), request);
        await socket.SendAsync(request.WrittenMemory, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);

        while (true)
        {
            await ReceiveSomeAsync(cancellationToken);
            var buffer = new ReadOnlySequence<byte>(received, 0, filled);
            if (HandshakeProtocol.TryParseResponseMessage(ref buffer, out var response))
            {
                if (response.Error is not null)
                {
                    throw new InvalidOperationException($"The hub refused the handshake: {response.Error}");
                }

                Consume(filled - (int)buffer.Length);
                break;
            }
        }

        receiving = Task.Run(ReceiveLoopAsync, CancellationToken.None);
        pinging = Task.Run(PingLoopAsync, CancellationToken.None);
    }

    /// <summary>Calls a hub method and waits for its answer.</summary>
    public async Task<TResult> InvokeAsync<TResult>(string method, object argument, CancellationToken cancellationToken = default)
    {
        var id = NextInvocationId();
        var call = new Pending(typeof(TResult), stream: null);
        pending[id] = call;
        await WriteAsync(new InvocationMessage(id, method, [argument]), cancellationToken);
        using var registration = cancellationToken.Register(() => Fail(id, new OperationCanceledException(cancellationToken)));
        return (TResult)(await call.Answer.Task)!;
    }

    /// <summary>Calls a hub method that sends no answer.</summary>
    public ValueTask SendAsync(string method, object argument, CancellationToken cancellationToken = default) =>
        WriteAsync(new InvocationMessage(method, [argument]), cancellationToken);

    /// <summary>Calls a streaming hub method (no arguments) and yields its items until the hub completes the stream.</summary>
    public async IAsyncEnumerable<TItem> StreamAsync<TItem>(string method, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var id = NextInvocationId();
        var items = Channel.CreateUnbounded<object?>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        pending[id] = new Pending(typeof(TItem), items);
        await WriteAsync(new StreamInvocationMessage(id, method, []), cancellationToken);
        await foreach (var item in items.Reader.ReadAllAsync(cancellationToken))
        {
            yield return (TItem)item!;
        }
    }

    /// <summary>Closes the connection as a client does (a close frame, then the hub's), or aborts it if that takes too long.</summary>
    public async ValueTask DisposeAsync()
    {
        using (var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                // The send lock is kept: nothing may be sent after the close frame.
                await sendLock.WaitAsync(bound.Token);
                if (socket.State == WebSocketState.Open)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, bound.Token);
                }

                await receiving.WaitAsync(bound.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
            {
                // The hub went first, or away: nothing more to say to it.
            }
        }

        await closing.CancelAsync();
        socket.Abort();
        await Task.WhenAll(receiving, pinging);
        FailAll(new IOException("The connection was closed."));
        socket.Dispose();
        sendLock.Dispose();
        closing.Dispose();
    }

    // An answer or stream item for a call no longer waited for (cancelled) is read as an object and dropped.
    Type IInvocationBinder.GetReturnType(string invocationId) =>
        pending.TryGetValue(invocationId, out var call) ? call.Type : typeof(object);

    IReadOnlyList<Type> IInvocationBinder.GetParameterTypes(string methodName) =>
        handlers.TryGetValue(methodName, out var handler) ? [handler.Type] : throw new InvalidOperationException($"No handler for {methodName}.");

    Type IInvocationBinder.GetStreamItemType(string streamId) =>
        pending.TryGetValue(streamId, out var call) ? call.Type : typeof(object);

    private string NextInvocationId() => Interlocked.Increment(ref nextInvocationId).ToString(CultureInfo.InvariantCulture);

    /// <summary>Writes one message as one WebSocket message; a connection sends one at a time, with one reused buffer.</summary>
    private async ValueTask WriteAsync(HubMessage message, CancellationToken cancellationToken)
    {
        // A write that nothing else can cancel gives up when the connection closes, instead of waiting for ever.
        await sendLock.WaitAsync(cancellationToken.CanBeCanceled ? cancellationToken : closing.Token);
        try
        {
            frame.ResetWrittenCount();
            Protocol.WriteMessage(message, frame);
            await socket.SendAsync(frame.WrittenMemory, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
            lastSent = Environment.TickCount64;
        }
        catch (WebSocketException e)
        {
            throw new IOException("The connection failed while sending.", e);
        }
        finally
        {
            sendLock.Release();
        }
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                var buffer = new ReadOnlySequence<byte>(received, 0, filled);
                while (Protocol.TryParseMessage(ref buffer, this, out var message))
                {
                    if (!Dispatch(message))
                    {
                        return;
                    }
                }

                Consume(filled - (int)buffer.Length);
                await ReceiveSomeAsync(closing.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            FailAll(new IOException("The connection was lost.", e));
        }
    }

    /// <summary>
    /// Handles one message from the hub; false once the hub closed the connection. A call of a method with no handler is
    /// dropped, as <c>HubConnection</c> drops it (a lost delivery would still show: the phase ends with it undelivered).
    /// </summary>
    private bool Dispatch(HubMessage message)
    {
        switch (message)
        {
            case InvocationMessage invocation when handlers.TryGetValue(invocation.Target, out var handler):
                handler.Handle(invocation.Arguments[0]);
                break;
            case StreamItemMessage item when pending.TryGetValue(item.InvocationId!, out var call):
                call.Stream?.Writer.TryWrite(item.Item);
                break;
            case CompletionMessage completion when pending.TryRemove(completion.InvocationId!, out var call):
                if (completion.Error is { } error)
                {
                    call.Fail(new HubException(error));
                }
                else
                {
                    call.Complete(completion.Result);
                }

                break;
            case StreamBindingFailureMessage failure when pending.TryRemove(failure.Id, out var call):
                call.Fail(new InvalidOperationException("A stream item could not be read.", failure.BindingFailure.SourceException));
                break;
            case CloseMessage close:
                FailAll(new IOException($"The hub closed the connection: {close.Error ?? "no error"}"));
                return false;
        }

        return true;
    }

    private async Task PingLoopAsync()
    {
        using var timer = new PeriodicTimer(PingInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(closing.Token))
            {
                if (Environment.TickCount64 - lastSent >= PingInterval.TotalMilliseconds)
                {
                    await WriteAsync(PingMessage.Instance, closing.Token);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Closing, or the connection is gone: the receive loop reports it.
        }
    }

    /// <summary>Reads one more fragment from the socket after what is already buffered, growing the buffer when full.</summary>
    private async Task ReceiveSomeAsync(CancellationToken cancellationToken)
    {
        if (filled == received.Length)
        {
            Array.Resize(ref received, received.Length * 2);
        }

        var result = await socket.ReceiveAsync(received.AsMemory(filled), cancellationToken);
        if (result.MessageType == WebSocketMessageType.Close)
        {
            throw new IOException($"The hub closed the WebSocket: {socket.CloseStatus} {socket.CloseStatusDescription}");
        }

        filled += result.Count;
    }

    /// <summary>Drops the first <paramref name="count"/> bytes of the buffer (messages parsed), keeping the rest.</summary>
    private void Consume(int count)
    {
        Buffer.BlockCopy(received, count, received, 0, filled - count);
        filled -= count;
    }

    private void Fail(string id, Exception error)
    {
        if (pending.TryRemove(id, out var call))
        {
            call.Fail(error);
        }
    }

    private void FailAll(Exception error)
    {
        foreach (var id in pending.Keys)
        {
            Fail(id, error);
        }
    }

    /// <summary>A call waiting for its answer, or a stream waiting for its items and its end.</summary>
    private sealed class Pending(Type type, Channel<object?>? stream)
    {
        public Type Type { get; } = type;

        public Channel<object?>? Stream { get; } = stream;

        public TaskCompletionSource<object?> Answer { get; } = new();

        public void Complete(object? result)
        {
            if (Stream is null)
            {
                Answer.TrySetResult(result);
            }
            else
            {
                Stream.Writer.TryComplete();
            }
        }

        public void Fail(Exception error)
        {
            if (Stream is null)
            {
                Answer.TrySetException(error);
            }
            else
            {
                Stream.Writer.TryComplete(error);
            }
        }
    }
}
