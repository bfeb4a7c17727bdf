using System.Text;
using Messaging.Client;
using Messaging.Client.Secure;
using Messaging.Protocol.Primitives;
using Messaging.Protocol.Storage;

namespace Messaging.Cli;

/// <summary>
/// The profile's device, held by this process. The state key is Argon2id of the password with the profile's salt, so
/// the sealed state on disk (keys, sessions, history, the refresh token) is useless without the password. The device
/// renews its server session with its refresh token and its identity key; the password and a second-factor code are
/// asked for only to register it, or if its session has ended.
/// </summary>
internal sealed class DeviceSession : IAsyncDisposable
{
    private const ulong OpsLimit = 3;
    private const nuint MemLimit = 64 * 1024 * 1024;

    private readonly FileStream deviceLock;
    private readonly HttpClient http;
    private readonly SignInFlow flow;
    private readonly bool newDevice;
    private readonly CancellationTokenSource abort = new();
    private StorageKey? key;
    private SecureMessenger? messenger;

    private DeviceSession(Profile profile, FileStream deviceLock, string password, string? method, bool newDevice)
    {
        this.deviceLock = deviceLock;
        this.newDevice = newDevice;
        http = new HttpClient { BaseAddress = profile.Data.Server };
        flow = new SignInFlow(new MessagingApi(http), profile.Data.Login, password, method);
    }

    public SecureMessenger Messenger => messenger ?? throw new InvalidOperationException("The device is not open.");

    /// <summary>Why signing in again failed in the background, if it did (the SDK would otherwise keep retrying).</summary>
    public CliException? SignInFailure { get; private set; }

    /// <summary>Creates the device: keys, registration (signing in with the password and a code), prekeys, sealed state.</summary>
    public static async Task<DeviceSession> RegisterAsync(Profile profile, string password, string? method, CancellationToken cancellationToken)
    {
        var session = new DeviceSession(profile, profile.TryLockDevice() ?? throw Busy(), password, method, newDevice: true);
        try
        {
            // Read again under the lock: another process may have registered a device since this one loaded the profile.
            if (Profile.Load(profile.Folder).Data.DeviceId is { } existing)
            {
                throw new CliException($"This profile already has device {existing}.");
            }

            var salt = Crypto.RandomBytes(16);
            session.key = DeriveKey(password, salt);
            session.messenger = await SecureMessenger.RegisterDeviceAsync(session.Options(profile), cancellationToken);
            profile.Save(profile.Data with { DeviceId = session.messenger.DeviceId, StateSalt = salt });
            return session;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    /// <summary>Opens the profile's device; fails if another `messaging` process uses it.</summary>
    public static DeviceSession Open(Profile profile, string password, string? method) =>
        TryOpen(profile, password, method) ?? throw Busy();

    /// <summary>Opens the profile's device, or returns null if another `messaging` process uses it.</summary>
    public static DeviceSession? TryOpen(Profile profile, string password, string? method)
    {
        if (profile.Data.DeviceId is null || profile.Data.StateSalt is null)
        {
            throw new CliException("This profile has no device yet: run `messaging device register`.");
        }

        if (profile.TryLockDevice() is not { } deviceLock)
        {
            return null;
        }

        var session = new DeviceSession(profile, deviceLock, password, method, newDevice: false);
        try
        {
            session.key = DeriveKey(password, profile.Data.StateSalt);
            session.messenger = SecureMessenger.Open(session.Options(profile));
            return session;
        }
        catch
        {
            session.Release();
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> with a token that is also cancelled when signing in again fails for good (no code
    /// at hand, no second factor enrolled): the failure is then thrown instead of the cancellation.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> body, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, abort.Token);
        try
        {
            await body(linked.Token);
        }
        catch (OperationCanceledException) when (SignInFailure is { } failure)
        {
            throw failure;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (messenger is not null)
        {
            await messenger.DisposeAsync();
        }

        Release();
    }

    private static CliException Busy() =>
        new("This profile's device is in use by another `messaging` command (a `listen`?): wait for it to end.");

    /// <summary>Everything but the messenger; the lock goes last, once the state files are written.</summary>
    private void Release()
    {
        key?.Dispose();
        http.Dispose();
        abort.Dispose();
        deviceLock.Dispose();
    }

    private static StorageKey DeriveKey(string password, byte[] salt)
    {
        var derived = new byte[32];
        try
        {
            Crypto.Argon2id(Encoding.UTF8.GetBytes(password), salt, OpsLimit, MemLimit, derived);
            return StorageKey.Import(derived);
        }
        finally
        {
            Crypto.Wipe(derived);
        }
    }

    private SecureMessengerOptions Options(Profile profile) => new()
    {
        ServerUri = profile.Data.Server,
        SignIn = SignInAsync,
        Storage = new FileStateStorage(profile.StateFolder),
        StorageKey = key ?? throw new InvalidOperationException("The state key is not derived yet."),
    };

    /// <summary>The SDK asks for a verified account token: to register, or because the device's session ended.</summary>
    private async Task<string> SignInAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await flow.VerifiedTokenAsync(newDevice, cancellationToken);
        }
        catch (CliException e)
        {
            SignInFailure = e;
            await abort.CancelAsync();
            throw;
        }
    }
}
