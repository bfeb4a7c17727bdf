using Messaging.Contracts;
using Messaging.Protocol;
using Messaging.Protocol.Keys;
using Messaging.Protocol.Sessions;
using Messaging.Protocol.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Messaging.Client.Secure;

/// <summary>
/// End-to-end encrypted messaging for one device: it encrypts once per recipient device (starting sessions from
/// prekey bundles as needed), decrypts, keeps the plaintext only in its sealed local history, acknowledges after
/// storing, sends "decrypted" receipts, and repairs broken sessions by itself (docs/protocol.md §5.4).
/// </summary>
/// <remarks>
/// The ratchet state is saved before any envelope leaves the device and before any delivery is acknowledged:
/// restoring an older state would re-derive message keys already used, and acknowledging before saving could lose
/// a message.
/// </remarks>
public sealed partial class SecureMessenger : IAsyncDisposable
{
    /// <summary>Enough for a backlog drained twice over a dropped connection; about 80 bytes each in memory (8 MB when full).</summary>
    private const int ProcessedCapacity = 100_000;

    private readonly SecureMessengerOptions options;
    private readonly ILogger logger;
    private readonly InMemoryProtocolStore store;
    private readonly ProtocolDevice device;
    private readonly ClientState state;

    /// <summary>
    /// Deliveries decrypted since the messenger opened, and the last ones of earlier runs. A copy comes again when
    /// its acknowledgement was lost, or when the connection dropped while it waited on the stream (the next drain
    /// brings every unacknowledged copy); decrypting it again would fail, its message key being used, and look
    /// like a broken session.
    /// </summary>
    private readonly RecentDeliveries processed = new(ProcessedCapacity);

    // Serialises protocol operations and the saves that follow them; never held across a network call.
    private readonly SemaphoreSlim gate = new(1, 1);
    private int disposed;

    // Opened from the two files of an earlier SDK, which the first save replaces with the one device file.
    private bool legacyFilesLeft;

    private SecureMessenger(SecureMessengerOptions options, InMemoryProtocolStore store, ClientState state)
    {
        this.options = options;
        logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<SecureMessenger>();
        this.store = store;
        this.state = state;
        foreach (var delivery in state.Processed)
        {
            processed.TryAdd(delivery.ConversationId, delivery.MessageId);
        }

        device = new ProtocolDevice(store);
        Transport = new MessagingClient(new MessagingClientOptions
        {
            ServerUri = options.ServerUri,
            Session = new DeviceSessionOptions
            {
                SignChallenge = challenge => store.LocalKeys.ProveSession(challenge, state.DeviceId),
                SignIn = options.SignIn,
                RefreshToken = state.RefreshToken,
                RefreshTokenChanged = KeepRefreshTokenAsync,
            },
            DeviceId = state.DeviceId,
            Protocol = options.Protocol,
            ReconnectBackoff = options.ReconnectBackoff,
            LoggerFactory = options.LoggerFactory,
            HttpMessageHandler = options.HttpMessageHandler,
        });
        Transport.PrekeysLow += OnPrekeysLow;
    }

    /// <summary>A recipient device decrypted and stored one of this device's messages.</summary>
    public event EventHandler<DeliveryReceipt>? Delivered;

    /// <summary>The transport underneath (connection state, drain signal).</summary>
    public MessagingClient Transport { get; }

    public Guid DeviceId => state.DeviceId;

    public Guid AccountId => state.AccountId;

    public DeviceIdentity Identity => device.Identity;

    /// <summary>The local history, oldest first.</summary>
    public IReadOnlyList<HistoryEntry> History
    {
        get
        {
            gate.Wait();
            try
            {
                return [.. state.History];
            }
            finally
            {
                gate.Release();
            }
        }
    }

    /// <summary>
    /// Creates this device: new keys, the identity registered with the server, prekeys published, and the state
    /// sealed into <see cref="SecureMessengerOptions.Storage"/>.
    /// </summary>
    public static async Task<SecureMessenger> RegisterDeviceAsync(SecureMessengerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var http = new HttpClient { BaseAddress = options.ServerUri };
        var api = new MessagingApi(http);
        var accountToken = await options.SignIn(cancellationToken);
        var store = new InMemoryProtocolStore(DeviceKeys.Generate());
        var registered = await api.RegisterDeviceAsync(accountToken, new RegisterDeviceRequest(store.LocalKeys.Identity.ToArray()), cancellationToken);
        var challenge = await api.CreateChallengeAsync(cancellationToken);
        var session = await api.CreateDeviceSessionAsync(
            accountToken,
            new DeviceSessionRequest(registered.DeviceId, challenge.Challenge, store.LocalKeys.ProveSession(challenge.Challenge, registered.DeviceId)),
            cancellationToken);
        var state = new ClientState { AccountId = registered.AccountId, DeviceId = registered.DeviceId, RefreshToken = session.RefreshToken };
        var messenger = new SecureMessenger(options, store, state);
        var upload = messenger.CreatePrekeys(includeLongTerm: true);
        await messenger.SaveAsync(cancellationToken);
        await api.UploadPrekeysAsync(session.AccessToken, registered.DeviceId, upload, cancellationToken);
        return messenger;
    }

    /// <summary>Opens a device created earlier from its sealed state.</summary>
    public static SecureMessenger Open(SecureMessengerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (protocolFile, clientFile, legacy) = ReadStateFiles(options.Storage);
        if (!ProtectedDeviceState.TryOpen(protocolFile, options.StorageKey, out var store) || ClientState.TryOpen(clientFile, options.StorageKey) is not { } state)
        {
            throw Errors.Client(ClientErrorCodes.LocalStateUnreadable, "The device state cannot be opened: wrong key, or a damaged file.");
        }

        return new SecureMessenger(options, store, state) { legacyFilesLeft = legacy };
    }

    /// <summary>The two sealed parts, from the device file or, for a device saved by an earlier SDK, from its two files.</summary>
    private static (byte[] Protocol, byte[] Client, bool Legacy) ReadStateFiles(FileStateStorage storage)
    {
        if (storage.Read(DeviceStateFile.Name) is { } file)
        {
            return DeviceStateFile.TrySplit(file, out var protocol, out var client)
                ? (protocol, client, false)
                : throw Errors.Client(ClientErrorCodes.LocalStateUnreadable, "The device state cannot be opened: a damaged file.");
        }

        return DeviceStateFile.LegacyNames.Select(storage.Read).ToArray() is [{ } legacyProtocol, { } legacyClient]
            ? (legacyProtocol, legacyClient, true)
            : throw Errors.Client(ClientErrorCodes.LocalStateUnreadable, "No device state here: register a device first.");
    }

    public Task ConnectAsync(CancellationToken cancellationToken = default) => Transport.ConnectAsync(cancellationToken);

    /// <summary>The safety number with another device this device has a session with, to compare in person.</summary>
    public SafetyNumber? SafetyNumberWith(Guid peerDeviceId) =>
        store.LoadIdentity(peerDeviceId) is { } peer ? SafetyNumbers.Between(device.Identity, DeviceId, peer, peerDeviceId) : null;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        Transport.PrekeysLow -= OnPrekeysLow;
        await Transport.DisposeAsync();
        store.Dispose();
        gate.Dispose();
    }

    /// <summary>
    /// Seals both states into the one device file, replaced atomically. Call with <see cref="gate"/> held, or before
    /// the messenger is shared.
    /// </summary>
    private void SaveLocked()
    {
        options.Storage.Write(
            DeviceStateFile.Name,
            DeviceStateFile.Combine(ProtectedDeviceState.Seal(store, options.StorageKey), state.Seal(options.StorageKey)));
        if (legacyFilesLeft)
        {
            // Only once the device file is on disk: until then the earlier SDK's two files are the state.
            foreach (var legacy in DeviceStateFile.LegacyNames)
            {
                options.Storage.Delete(legacy);
            }

            legacyFilesLeft = false;
        }
    }

    /// <summary>Each refresh token works once: keep the newest, sealed with the rest of the state.</summary>
    private async Task KeepRefreshTokenAsync(string refreshToken, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            state.RefreshToken = refreshToken;
            SaveLocked();
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task SaveAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            SaveLocked();
        }
        finally
        {
            gate.Release();
        }
    }

    private DateTimeOffset Now => options.Time.GetUtcNow();
}
