using Messaging.Contracts;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Messaging.Client;

/// <summary>
/// One device's connection to the server: a device-bound token kept fresh, a hub connection that reconnects
/// forever, the offline queue drained after every (re)connection, live and queued deliveries on one stream, and
/// sends that survive a dropped connection.
/// </summary>
/// <remarks>
/// Lifecycle: construct, <see cref="ConnectAsync"/> once, use, <see cref="DisposeAsync"/>. A permanent failure
/// (bad credentials, revoked device) stops the client: <see cref="ReceiveAsync"/>, <see cref="WaitForDrainAsync"/>
/// and hub calls then throw that <see cref="MessagingException"/>.
/// </remarks>
public sealed partial class MessagingClient : IAsyncDisposable
{
    private readonly MessagingClientOptions _options;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly DeviceTokenProvider _tokens;
    private readonly HubConnection _hub;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly CancellationToken _lifetimeToken;

    // Never disposed: it holds no wait handle, and a ConnectAsync cancelled by DisposeAsync still releases it.
    private readonly SemaphoreSlim _startGate = new(1, 1);

    /// <summary>Open while the hub connection is up.</summary>
    private readonly ResettableSignal _connected = new();

    private Task _restart = Task.CompletedTask;
    private int _started;
    private int _disposed;
    private int _restartsSinceDrain;

    public MessagingClient(MessagingClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _lifetimeToken = _lifetime.Token;
        _logger = options.LoggerFactory?.CreateLogger<MessagingClient>() ?? (ILogger)NullLogger.Instance;
        _http = options.HttpMessageHandler is { } handler ? new HttpClient(handler, disposeHandler: false) : new HttpClient();
        _http.BaseAddress = options.ServerUri;
        Api = new MessagingApi(_http);
        _tokens = new DeviceTokenProvider(Api, options.Session, options.DeviceId);
        _recent = new RecentDeliveries(options.RecentDeliveryCapacity);

        _hub = HubConnectionFactory.Create(options, ProvideHubTokenAsync, new BackoffRetryPolicy(options.ReconnectBackoff, ShouldReconnect));
        _hub.On<Delivery>(HubMethods.Receive, Accept);
        _hub.On<PrekeyStatus>(HubMethods.PrekeysLow, status => PrekeysLow?.Invoke(this, status));
        _hub.On<HubError>(HubMethods.AcknowledgeRefused, error => AcknowledgementRefused?.Invoke(this, error));
        _hub.Reconnecting += OnReconnectingAsync;
        _hub.Reconnected += OnReconnectedAsync;
        _hub.Closed += OnClosedAsync;
    }

    /// <summary>The device this client speaks for.</summary>
    public Guid DeviceId => _options.DeviceId;

    /// <summary>The account of the device, known once a token was obtained.</summary>
    public Guid? AccountId => _tokens.AccountId;

    /// <summary>Whether the hub connection is up at this moment.</summary>
    public bool IsConnected => _hub.State == HubConnectionState.Connected;

    /// <summary>The HTTP routes, over this client's HttpClient; pair it with <see cref="GetAccessTokenAsync"/>.</summary>
    public MessagingApi Api { get; }

    /// <summary>A new message id: a UUIDv7, so that ids sort by creation time.</summary>
    public static Guid NewMessageId() => Guid.CreateVersion7();

    /// <summary>The server handed out prekeys of this device and few are left: upload more.</summary>
    public event EventHandler<PrekeyStatus>? PrekeysLow;

    /// <summary>
    /// The server refused an <see cref="AcknowledgeQuietlyAsync"/> (a malformed or oversized request, or a device
    /// whose acknowledgements of copies that were not waiting ran past its rate limit, by its
    /// <see cref="HubError.Code"/>); it deleted nothing. Handlers run on a background thread and must not block.
    /// </summary>
    public event EventHandler<HubError>? AcknowledgementRefused;

    /// <summary>
    /// The server refused a new connection because this device already holds as many as a node allows
    /// (<see cref="ErrorCodes.RateLimited"/>; <c>Messaging:RateLimits:ConnectionsPerDevice</c>). The client keeps
    /// trying with its backoff, and gets in once one of the others closes; a device that sees this has connections it
    /// does not know of (another copy of the application, or its token in other hands). Handlers run on a background
    /// thread and must not block.
    /// </summary>
    public event EventHandler<HubError>? ConnectionRefused;

    /// <summary>A device-bound access token valid for at least a minute (or half its lifetime, if shorter).</summary>
    public Task<string> GetAccessTokenAsync(CancellationToken cancellationToken = default) => _tokens.GetAsync(cancellationToken);

    /// <summary>Every current device of every member of a conversation, with this client's token.</summary>
    public Task<ConversationDevices> GetConversationDevicesAsync(Guid conversationId, CancellationToken cancellationToken = default) =>
        WithTokenAsync((token, ct) => Api.GetConversationDevicesAsync(token, conversationId, ct), cancellationToken);

    /// <summary>
    /// Starts the hub connection, retrying with backoff until it succeeds or <paramref name="cancellationToken"/>
    /// fires; then drains the queue in the background (see <see cref="WaitForDrainAsync"/>). Later losses are
    /// repaired automatically. Calling it again once connected does nothing.
    /// </summary>
    /// <exception cref="MessagingException">A permanent failure, e.g. invalid credentials or a revoked device.</exception>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _startGate.WaitAsync(cancellationToken);
        try
        {
            if (Volatile.Read(ref _started) != 0)
            {
                return;
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetimeToken);
            await StartWithRetryAsync(linked.Token);
            Volatile.Write(ref _started, 1);
        }
        finally
        {
            _startGate.Release();
        }
    }

    /// <summary>Stops the connection; pending and later calls fail, and <see cref="ReceiveAsync"/> completes.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await ConfirmQuietAcknowledgementsAsync();
        await _lifetime.CancelAsync();
        await Volatile.Read(ref _restart);
        await _hub.DisposeAsync();

        var disposed = new ObjectDisposedException(nameof(MessagingClient));
        _connected.Fail(disposed);
        _drained.Fail(disposed);
        _deliveries.Writer.TryComplete();
        _tokens.Dispose();
        _http.Dispose();
        _lifetime.Dispose();
    }

    private async Task StartWithRetryAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (attempt == 2)
            {
                // A token the server keeps refusing (a new signing key, an ended session) is replaced once.
                _tokens.Invalidate();
            }

            _recent.Clear();
            try
            {
                await _hub.StartAsync(cancellationToken);
                break;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception) when (_tokens.Fault is { } fault)
            {
                throw fault;
            }
            catch (Exception e)
            {
                if (e is HubConnectionRefusedException)
                {
                    RaiseConnectionRefused();
                }

                var delay = _options.ReconnectBackoff.GetDelay(attempt);
                Log.ConnectFailed(_logger, attempt + 1, delay, e);
                await Task.Delay(delay, cancellationToken);
            }
        }

        OnConnectionOpened(reconnected: false);
    }

    private async Task<string?> ProvideHubTokenAsync()
    {
        try
        {
            return await _tokens.GetAsync(_lifetimeToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.TokenFailed(_logger, e);
            throw;
        }
    }

    private async Task<T> WithTokenAsync<T>(Func<string, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var token = await _tokens.GetAsync(cancellationToken);
        try
        {
            return await call(token, cancellationToken);
        }
        catch (MessagingException e) when (e.Code == ErrorCodes.Unauthenticated)
        {
            // The server no longer takes this token (restarted with new keys, session ended): renew it, once.
            _tokens.Invalidate(token);
            return await call(await _tokens.GetAsync(cancellationToken), cancellationToken);
        }
    }

    /// <summary>Whether SignalR should try again; a refused attempt is reported first (<see cref="ConnectionRefused"/>).</summary>
    private bool ShouldReconnect(long previousRetryCount, Exception? lastFailure)
    {
        if (lastFailure is HubConnectionRefusedException)
        {
            RaiseConnectionRefused();
        }

        if (_lifetimeToken.IsCancellationRequested || _tokens.Fault is not null)
        {
            return false;
        }

        if (previousRetryCount == 2)
        {
            _tokens.Invalidate();
        }

        return true;
    }

    private void OnConnectionOpened(bool reconnected)
    {
        if (reconnected)
        {
            Log.Reconnected(_logger);
        }
        else
        {
            Log.Connected(_logger);
        }

        _connected.Set();
        StartDrain();
    }

    /// <summary>The connection window is over: close the gates and forget the de-duplication ids.</summary>
    private void EndConnectionWindow()
    {
        _connected.Reset();
        _drained.Reset();
        Interlocked.Increment(ref _window);
        _recent.Clear();
    }

    private Task OnReconnectingAsync(Exception? error)
    {
        EndConnectionWindow();
        Log.Reconnecting(_logger, error);
        return Task.CompletedTask;
    }

    private Task OnReconnectedAsync(string? connectionId)
    {
        OnConnectionOpened(reconnected: true);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Automatic reconnection gave up, or the server closed without allowing it (e.g. when the token expired):
    /// start again, unless the client is shutting down or failed for good.
    /// </summary>
    private Task OnClosedAsync(Exception? error)
    {
        EndConnectionWindow();
        if (_lifetimeToken.IsCancellationRequested)
        {
            return Task.CompletedTask;
        }

        if (_tokens.Fault is { } fault)
        {
            Fail(fault);
            return Task.CompletedTask;
        }

        Log.Closed(_logger, error);

        Volatile.Write(ref _restart, RestartAsync());
        return Task.CompletedTask;
    }

    private void RaiseConnectionRefused()
    {
        try
        {
            ConnectionRefused?.Invoke(this, new HubError
            {
                Code = ErrorCodes.RateLimited,
                Message = "The server refused the connection: this device holds too many connections already.",
            });
        }
        catch (Exception e)
        {
            Log.HandlerFailed(_logger, nameof(ConnectionRefused), e);
        }
    }

    private async Task RestartAsync()
    {
        try
        {
            // A server that accepts and closes at once must not be hammered: back off until a drain succeeds.
            var restarts = Interlocked.Increment(ref _restartsSinceDrain);
            if (restarts == 2)
            {
                // Closed twice without a drain in between: the server may refuse this token (e.g. the device was
                // revoked); logging in again either fixes it or reports the permanent failure.
                _tokens.Invalidate();
            }

            await Task.Delay(_options.ReconnectBackoff.GetDelay(restarts - 1), _lifetimeToken);
            await StartWithRetryAsync(_lifetimeToken);
        }
        catch (OperationCanceledException) when (_lifetimeToken.IsCancellationRequested)
        {
        }
        catch (MessagingException e)
        {
            Fail(e);
        }
    }

    private void Fail(MessagingException fault)
    {
        Log.Faulted(_logger, fault.Code, fault);
        _connected.Fail(fault);
        _drained.Fail(fault);
        _deliveries.Writer.TryComplete(fault);
    }
}
