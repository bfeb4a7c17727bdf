using Messaging.Contracts;

namespace Messaging.Client;

/// <summary>
/// Keeps a device-bound access token and replaces it before it expires.
/// </summary>
/// <remarks>
/// Refresh tokens come in a later issue. Until then a token near its expiry is replaced by logging in again with
/// the credentials the client was given, then opening a session for the device.
/// </remarks>
internal sealed class DeviceTokenProvider(MessagingApi api, string login, string password, Guid deviceId) : IDisposable
{
    /// <summary>A token is replaced when it has less than this left (or less than half its lifetime, if shorter).</summary>
    internal static readonly TimeSpan RefreshMargin = TimeSpan.FromSeconds(60);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private Held? _current;
    private MessagingException? _fault;

    /// <summary>The current token's response, if any (never logged: it holds the token).</summary>
    public TokenResponse? Current => Volatile.Read(ref _current)?.Response;

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
            return held.Response.AccessToken;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets the cached token, so that the next call logs in again (e.g. after the server rejected it).</summary>
    public void Invalidate() => Volatile.Write(ref _current, null);

    /// <summary>Forgets the cached token only if it is still <paramref name="accessToken"/>.</summary>
    public void Invalidate(string accessToken)
    {
        var held = Volatile.Read(ref _current);
        if (held is not null && string.Equals(held.Response.AccessToken, accessToken, StringComparison.Ordinal))
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
            var account = await api.LoginAsync(login, password, cancellationToken);
            var device = await api.CreateDeviceSessionAsync(account.AccessToken, deviceId, cancellationToken);
            if (device.DeviceId != deviceId)
            {
                throw Errors.InvalidResponse("the device session request");
            }

            Volatile.Write(ref _fault, null);
            var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(device.ExpiresAtUnixMs);
            var lifetime = expiresAt - fetchedAt;
            var margin = lifetime > RefreshMargin * 2 ? RefreshMargin : lifetime / 2;
            return new Held(device, expiresAt - margin);
        }
        catch (MessagingException e) when (e.IsPermanentHttpFailure)
        {
            Volatile.Write(ref _fault, e);
            throw;
        }
    }

    private static string? Usable(Held? held) =>
        held is not null && DateTimeOffset.UtcNow < held.RenewAt ? held.Response.AccessToken : null;

    private sealed record Held(TokenResponse Response, DateTimeOffset RenewAt);
}
