namespace Messaging.Client;

/// <summary>
/// How a device keeps its server session: it proves itself with its identity key, renews with single-use refresh
/// tokens, and asks the application to sign in again only when the session has ended. A class, so that no generated
/// ToString prints a token.
/// </summary>
public sealed class DeviceSessionOptions
{
    /// <summary>
    /// Signs a server challenge for this device: <c>DeviceKeys.ProveSession(challenge, deviceId)</c> of
    /// Messaging.Protocol. The private key never leaves the device.
    /// </summary>
    public required Func<byte[], byte[]> SignChallenge { get; init; }

    /// <summary>
    /// Obtains a verified account token (password and second factor) when there is no usable refresh token: a first
    /// start, or a session that ended (signed out, expired, revoked). Interactive applications prompt here.
    /// </summary>
    public required Func<CancellationToken, Task<string>> SignIn { get; init; }

    /// <summary>The refresh token kept from a previous run, if any.</summary>
    public string? RefreshToken { get; init; }

    /// <summary>
    /// Called with each new refresh token (the previous one no longer works): keep it, sealed, to start again without
    /// signing in. A token lost before it is kept only costs a new sign-in.
    /// </summary>
    public Func<string, CancellationToken, Task>? RefreshTokenChanged { get; init; }
}
