using Messaging.Contracts;

namespace Messaging.Client;

/// <summary>
/// Keeps a device-bound access token and replaces it before it expires: with the refresh token when there is one
/// (single use: each answer brings the next, handed to <see cref="DeviceSessionOptions.RefreshTokenChanged"/>), or
/// else by asking the application to sign in (<see cref="DeviceSessionOptions.SignIn"/>) and opening a new session.
/// Either way the device signs a fresh server challenge with its identity key, so a stolen token alone is useless.
/// </summary>
internal sealed class DeviceTokenProvider(MessagingApi api, DeviceSessionOptions session, Guid deviceId) : IDisposable
{
    /// <summary>A token is replaced when it has less than this left (or less than half its lifetime, if shorter).</summary>
    internal static readonly TimeSpan RefreshMargin = TimeSpan.FromSeconds(60);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private Held? _current;
    private string? _refreshToken = session.RefreshToken;
    private MessagingException? _fault;

    /// <summary>The account of the device, once a token was obtained.</summary>
    public Guid? AccountId => Volatile.Read(ref _current)?.AccountId;

    /// <summary>The last permanent failure to obtain a token (cleared by a success): retrying will not help.</summary>
    public MessagingException? Fault => Volatile.Read(ref _fault);

    public async Task<string> GetAsync(CancellationToken cancellationToken)
    {
        if (Usable(Volatile.Read(ref _current)) is { } token)
        {
            return token;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (Usable(Volatile.Read(ref _current)) is { } fresh)
            {
                return fresh;
            }

            var held = await FetchAsync(cancellationToken);
            Volatile.Write(ref _current, held);
            return held.AccessToken;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets the cached access token, so that the next call refreshes (e.g. after the server rejected it).</summary>
    public void Invalidate() => Volatile.Write(ref _current, null);

    /// <summary>Forgets the cached token only if it is still <paramref name="accessToken"/>.</summary>
    public void Invalidate(string accessToken)
    {
        var held = Volatile.Read(ref _current);
        if (held is not null && string.Equals(held.AccessToken, accessToken, StringComparison.Ordinal))
        {
            Interlocked.CompareExchange(ref _current, null, held);
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task<Held> FetchAsync(CancellationToken cancellationToken)
    {
        try
        {
            var fetchedAt = DateTimeOffset.UtcNow;
            var response = await RefreshAsync(cancellationToken) ?? await OpenAsync(cancellationToken);
            if (response.DeviceId != deviceId)
            {
                throw Errors.InvalidResponse("the device session request");
            }

            _refreshToken = response.RefreshToken;
            if (session.RefreshTokenChanged is { } changed)
            {
                await changed(response.RefreshToken, cancellationToken);
            }

            Volatile.Write(ref _fault, null);
            var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(response.ExpiresAtUnixMs);
            var lifetime = expiresAt - fetchedAt;
            var margin = lifetime > RefreshMargin * 2 ? RefreshMargin : lifetime / 2;
            return new Held(response.AccessToken, response.AccountId, expiresAt - margin);
        }
        catch (MessagingException e) when (e.IsPermanentHttpFailure)
        {
            Volatile.Write(ref _fault, e);
            throw;
        }
    }

    /// <summary>New tokens from the refresh token, or null when there is none or the session has ended.</summary>
    private async Task<DeviceSessionResponse?> RefreshAsync(CancellationToken cancellationToken)
    {
        if (_refreshToken is not { } refreshToken)
        {
            return null;
        }

        try
        {
            var challenge = await api.CreateChallengeAsync(cancellationToken);
            return await api.RefreshAsync(
                new RefreshRequest(deviceId, refreshToken, challenge.Challenge, session.SignChallenge(challenge.Challenge)), cancellationToken);
        }
        catch (MessagingException e) when (e.Code == ErrorCodes.SessionEnded)
        {
            _refreshToken = null;
            return null;
        }
    }

    private async Task<DeviceSessionResponse> OpenAsync(CancellationToken cancellationToken)
    {
        var accountToken = await session.SignIn(cancellationToken);
        var challenge = await api.CreateChallengeAsync(cancellationToken);
        return await api.CreateDeviceSessionAsync(
            accountToken, new DeviceSessionRequest(deviceId, challenge.Challenge, session.SignChallenge(challenge.Challenge)), cancellationToken);
    }

    private static string? Usable(Held? held) =>
        held is not null && DateTimeOffset.UtcNow < held.RenewAt ? held.AccessToken : null;

    private sealed record Held(string AccessToken, Guid AccountId, DateTimeOffset RenewAt);
}
