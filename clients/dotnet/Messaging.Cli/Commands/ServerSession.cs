using Messaging.Client;

namespace Messaging.Cli.Commands;

/// <summary>
/// The server's API and a token for one command: from the profile's device session when it has a free device (no
/// code needed: the refresh token and the device key renew it), else from signing in with the password and, where
/// the route needs a verified session, a second-factor code. The token is never written anywhere.
/// </summary>
internal sealed class ServerSession : IAsyncDisposable
{
    private readonly HttpClient? http;
    private readonly DeviceSession? device;

    private ServerSession(MessagingApi api, string token, HttpClient? http, DeviceSession? device)
    {
        Api = api;
        Token = token;
        this.http = http;
        this.device = device;
    }

    public MessagingApi Api { get; }

    public string Token { get; }

    /// <summary>A password-only token: enough for the routes any signed-in person may call (their account, consent).</summary>
    public static async Task<ServerSession> PasswordOnlyAsync(Profile profile, CancellationToken cancellationToken)
    {
        var http = new HttpClient { BaseAddress = profile.Data.Server };
        try
        {
            var api = new MessagingApi(http);
            var signedIn = await new SignInFlow(api, profile.Data.Login, Secrets.Password(), method: null).PasswordAsync(cancellationToken);
            return new ServerSession(api, signedIn.AccessToken, http, null);
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    /// <summary>A verified token: the device's own session if the profile has a device this process can take.</summary>
    public static async Task<ServerSession> VerifiedAsync(Profile profile, string? method, CancellationToken cancellationToken)
    {
        var password = Secrets.Password();
        if (profile.Data.DeviceId is not null)
        {
            if (DeviceSession.TryOpen(profile, password, method) is { } device)
            {
                try
                {
                    var transport = device.Messenger.Transport;
                    return new ServerSession(transport.Api, await transport.GetAccessTokenAsync(cancellationToken), null, device);
                }
                catch
                {
                    await device.DisposeAsync();
                    throw;
                }
            }

            await Console.Error.WriteLineAsync("note: another `messaging` command holds this profile's device; signing in with your password instead.");
        }

        var http = new HttpClient { BaseAddress = profile.Data.Server };
        try
        {
            var api = new MessagingApi(http);
            var token = await new SignInFlow(api, profile.Data.Login, password, method).VerifiedTokenAsync(newDevice: false, cancellationToken);
            return new ServerSession(api, token, http, null);
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        http?.Dispose();
        if (device is not null)
        {
            await device.DisposeAsync();
        }
    }
}
