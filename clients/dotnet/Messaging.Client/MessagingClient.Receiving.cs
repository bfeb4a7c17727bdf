using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Messaging.Contracts;
using Microsoft.AspNetCore.SignalR.Client;

namespace Messaging.Client;

public sealed partial class MessagingClient
{
    /// <summary>Live pushes and drained copies, in arrival order, for the one reader of <see cref="ReceiveAsync"/>.</summary>
    private readonly Channel<Delivery> _deliveries = Channel.CreateUnbounded<Delivery>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    private readonly RecentDeliveries _recent;

    /// <summary>Open once the current connection's drain has completed.</summary>
    private readonly ResettableSignal _drained = new();

    /// <summary>Counts connection windows, so that a drain of a lost connection does not signal the next one's.</summary>
    private long _window;

    private long _drainCount;

    /// <summary>A delivery of the last quiet acknowledgement sent, until an answered call confirms it on close.</summary>
    private DeliveryRef? _lastQuietAcknowledgement;

    private int _receiving;

    /// <summary>
    /// Raised after each drain completes: every copy queued for this device when the connection opened has been
    /// put on the <see cref="ReceiveAsync"/> stream. Handlers run on a background thread and must not block.
    /// </summary>
    public event EventHandler? QueueDrained;

    /// <summary>How many drains have completed since the client was created (one per successful connection).</summary>
    public long DrainCount => Interlocked.Read(ref _drainCount);

    /// <summary>
    /// Completes when the current connection's drain has completed: at once if it already has, otherwise when the
    /// drain of the connection being opened (or reopened) completes.
    /// </summary>
    public Task WaitForDrainAsync(CancellationToken cancellationToken = default) => _drained.WaitAsync(cancellationToken);

    /// <summary>
    /// Every delivery for this device, live or drained from the queue, until the client is disposed. One reader at a
    /// time. A delivery received both live and through the drain is yielded once per connection window, but one not
    /// acknowledged before a reconnection comes again with the next drain: store by (ConversationId, MessageId)
    /// idempotently, then <see cref="AcknowledgeAsync(IEnumerable{DeliveryRef}, CancellationToken)"/>.
    /// </summary>
    /// <exception cref="MessagingException">The client failed for good (e.g. the device was revoked).</exception>
    public async IAsyncEnumerable<Delivery> ReceiveAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _receiving, 1) != 0)
        {
            throw Errors.SecondReader();
        }

        try
        {
            await foreach (var delivery in _deliveries.Reader.ReadAllAsync(cancellationToken))
            {
                yield return delivery;
            }
        }
        finally
        {
            Volatile.Write(ref _receiving, 0);
        }
    }

    /// <summary>Tells the server these deliveries are stored; it deletes its copies. Returns how many it deleted.</summary>
    public Task<int> AcknowledgeAsync(params Delivery[] deliveries) =>
        AcknowledgeAsync((IEnumerable<Delivery>)deliveries, CancellationToken.None);

    /// <inheritdoc cref="AcknowledgeAsync(Delivery[])"/>
    public Task<int> AcknowledgeAsync(IEnumerable<Delivery> deliveries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deliveries);
        return AcknowledgeAsync(deliveries.Select(d => d.ToRef()), cancellationToken);
    }

    /// <inheritdoc cref="AcknowledgeAsync(Delivery[])"/>
    public Task<int> AcknowledgeAsync(params DeliveryRef[] deliveries) =>
        AcknowledgeAsync((IEnumerable<DeliveryRef>)deliveries, CancellationToken.None);

    /// <summary>
    /// Tells the server these deliveries are stored; it deletes its copies. Acknowledging twice is harmless, so the
    /// call is retried over a dropped connection like <see cref="SendAsync"/>. Returns how many copies were deleted.
    /// </summary>
    public async Task<int> AcknowledgeAsync(IEnumerable<DeliveryRef> deliveries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deliveries);
        var request = new AcknowledgeRequest { Deliveries = [.. deliveries] };
        if (request.Deliveries.Count == 0)
        {
            return 0;
        }

        var result = await InvokeHubAsync<AcknowledgeResult>(HubMethods.Acknowledge, request, cancellationToken);
        return result.Error is { } error ? throw Errors.Hub(HubMethods.Acknowledge, error) : result.Removed;
    }

    /// <summary>
    /// Before the connection closes: SignalR's transport drops what it has not yet written to the socket when it stops,
    /// and a quiet acknowledgement sent just before may still be there. One answered call after it (the last delivery
    /// acknowledged again, harmless) returns only once the server has received it; the server then applies it even as
    /// the connection closes. Without this the copies would only come again with the next drain.
    /// </summary>
    private async Task ConfirmQuietAcknowledgementsAsync()
    {
        if (Interlocked.Exchange(ref _lastQuietAcknowledgement, null) is not { } last || _hub.State != HubConnectionState.Connected)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(QuietAcknowledgementConfirmTimeout);
        try
        {
            await _hub.InvokeAsync<AcknowledgeResult>(HubMethods.Acknowledge, new AcknowledgeRequest { Deliveries = [last] }, timeout.Token);
        }
        catch (Exception e)
        {
            // Nothing is lost: unacknowledged copies come again with the next drain.
            Log.QuietAcknowledgementDropped(_logger, 1, e);
        }
    }

    private static readonly TimeSpan QuietAcknowledgementConfirmTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Tells the server these deliveries are stored without waiting for its answer: one message on the connection
    /// instead of a call and its answer, for a client that does not need the count. Returns once the message is handed
    /// to the connection, true; if the connection is down, nothing is sent and it returns false (once
    /// <see cref="MessagingClient.ConnectAsync"/> has succeeded: before, it throws like every hub call). Either way nothing is
    /// lost: a copy whose acknowledgement never arrived comes again with the next drain, and acknowledging it again is
    /// harmless. A request the server refuses raises <see cref="AcknowledgementRefused"/>.
    /// </summary>
    public async Task<bool> AcknowledgeQuietlyAsync(IEnumerable<DeliveryRef> deliveries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deliveries);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Volatile.Read(ref _started) == 0)
        {
            throw Errors.NotConnected();
        }

        var request = new AcknowledgeRequest { Deliveries = [.. deliveries] };
        if (request.Deliveries.Count == 0)
        {
            return true;
        }

        if (_hub.State != HubConnectionState.Connected)
        {
            return false;
        }

        try
        {
            await _hub.SendAsync(HubMethods.AcknowledgeQuietly, request, cancellationToken);
            Volatile.Write(ref _lastQuietAcknowledgement, request.Deliveries[^1]);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The connection dropped under the send: the next drain brings these copies again.
            Log.QuietAcknowledgementDropped(_logger, request.Deliveries.Count, e);
            return false;
        }
    }

    /// <summary>
    /// Whether deliveries are on the stream that <see cref="ReceiveAsync"/> has not handed out yet. Call it from the
    /// stream's reader only: the channel has a single reader, and peeking is part of reading.
    /// </summary>
    internal bool HasWaitingDeliveries => _deliveries.Reader.TryPeek(out _);

    /// <summary>Puts a delivery on the stream unless it was already put there in this connection window.</summary>
    private void Accept(Delivery delivery)
    {
        if (!_recent.TryAdd(delivery.ConversationId, delivery.MessageId))
        {
            Log.Duplicate(_logger, delivery.ConversationId, delivery.MessageId);
            return;
        }

        _deliveries.Writer.TryWrite(delivery);
    }

    private void StartDrain()
    {
        var window = Interlocked.Increment(ref _window);
        _ = DrainAsync(window);
    }

    /// <summary>
    /// Streams the queued copies into the receive channel. If the connection drops under it, the next connection
    /// drains again; if the stream fails while the connection stays up, it is retried with backoff.
    /// </summary>
    private async Task DrainAsync(long window)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var count = 0;
                await foreach (var delivery in _hub.StreamAsync<Delivery>(HubMethods.Drain, _lifetimeToken))
                {
                    Accept(delivery);
                    count++;
                }

                if (!IsCurrent(window))
                {
                    return;
                }

                Interlocked.Increment(ref _drainCount);
                Volatile.Write(ref _restartsSinceDrain, 0);
                _drained.Set();
                Log.Drained(_logger, count);
                RaiseQueueDrained();
                return;
            }
            catch (Exception) when (_lifetimeToken.IsCancellationRequested)
            {
                return; // shutting down
            }
            catch (Exception e) when (IsCurrent(window))
            {
                Log.DrainFailed(_logger, e);
            }
            catch (Exception)
            {
                return; // the connection dropped under the stream: the next connection drains again
            }

            try
            {
                await Task.Delay(_options.ReconnectBackoff.GetDelay(attempt), _lifetimeToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (!IsCurrent(window))
            {
                return;
            }
        }
    }

    private bool IsCurrent(long window) =>
        Interlocked.Read(ref _window) == window && _hub.State == HubConnectionState.Connected;

    private void RaiseQueueDrained()
    {
        try
        {
            QueueDrained?.Invoke(this, EventArgs.Empty);
        }
        catch (Exception e)
        {
            Log.HandlerFailed(_logger, nameof(QueueDrained), e);
        }
    }
}
