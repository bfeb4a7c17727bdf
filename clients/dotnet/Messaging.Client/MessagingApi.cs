using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Messaging.Contracts;

namespace Messaging.Client;

/// <summary>
/// Typed calls to the server's HTTP routes (<see cref="Routes"/>) over an <see cref="HttpClient"/> whose base address
/// is the server URL. Calls that need authentication take the bearer token as their first argument.
/// </summary>
/// <remarks>
/// A non-success answer throws <see cref="MessagingException"/> with the problem-details code; a network failure
/// throws <see cref="HttpRequestException"/> as usual.
/// </remarks>
public sealed class MessagingApi
{
    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;
    private readonly HttpClient _http;

    /// <param name="httpClient">Owned by the caller; its <see cref="HttpClient.BaseAddress"/> is the server URL.</param>
    public MessagingApi(HttpClient httpClient)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        _http = httpClient;
    }

    /// <summary>Logs in with a password; the token is for the account, bound to no device.</summary>
    public Task<TokenResponse> LoginAsync(string login, string password, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(login);
        ArgumentException.ThrowIfNullOrEmpty(password);
        return SendAsync<TokenResponse>(HttpMethod.Post, Routes.Sessions, null, new LoginRequest(login, password), cancellationToken);
    }

    /// <summary>Registers a new device of the account that <paramref name="accountToken"/> belongs to.</summary>
    public Task<DeviceInfo> RegisterDeviceAsync(string accountToken, RegisterDeviceRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync<DeviceInfo>(HttpMethod.Post, Routes.Devices, Bearer(accountToken), request, cancellationToken);
    }

    /// <summary>Exchanges an account token for a token bound to one of the account's devices (needed by the hub).</summary>
    public Task<TokenResponse> CreateDeviceSessionAsync(string accountToken, Guid deviceId, CancellationToken cancellationToken = default) =>
        SendAsync<TokenResponse>(HttpMethod.Post, Routes.DeviceSessions, Bearer(accountToken), new DeviceSessionRequest(deviceId), cancellationToken);

    public Task<AccountInfo> GetCurrentAccountAsync(string accessToken, CancellationToken cancellationToken = default) =>
        SendAsync<AccountInfo>(HttpMethod.Get, Routes.CurrentAccount, Bearer(accessToken), null, cancellationToken);

    /// <summary>Creates an account; the token must be an admin's.</summary>
    public Task<AccountCreated> CreateAccountAsync(string adminToken, CreateAccountRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync<AccountCreated>(HttpMethod.Post, Routes.Accounts, Bearer(adminToken), request, cancellationToken);
    }

    public Task<ConversationInfo> CreateConversationAsync(string accessToken, CreateConversationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync<ConversationInfo>(HttpMethod.Post, Routes.Conversations, Bearer(accessToken), request, cancellationToken);
    }

    /// <summary>The conversations the caller is a member of.</summary>
    public async Task<IReadOnlyList<ConversationInfo>> GetConversationsAsync(string accessToken, CancellationToken cancellationToken = default) =>
        await SendAsync<List<ConversationInfo>>(HttpMethod.Get, Routes.Conversations, Bearer(accessToken), null, cancellationToken);

    /// <summary>Every current device of every member: the recipients a send must cover.</summary>
    public Task<ConversationDevices> GetConversationDevicesAsync(string accessToken, Guid conversationId, CancellationToken cancellationToken = default) =>
        SendAsync<ConversationDevices>(HttpMethod.Get, Routes.ConversationDevices(conversationId), Bearer(accessToken), null, cancellationToken);

    /// <summary>Uploads a device's public prekeys; <paramref name="deviceToken"/> must be bound to that device.</summary>
    public Task<PrekeyStatus> UploadPrekeysAsync(string deviceToken, Guid deviceId, UploadPrekeysRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync<PrekeyStatus>(HttpMethod.Put, Routes.DevicePrekeys(deviceId), Bearer(deviceToken), request, cancellationToken);
    }

    /// <summary>How many one-time prekeys the server still holds for the device.</summary>
    public Task<PrekeyStatus> GetPrekeyStatusAsync(string deviceToken, Guid deviceId, CancellationToken cancellationToken = default) =>
        SendAsync<PrekeyStatus>(HttpMethod.Get, Routes.DevicePrekeyStatus(deviceId), Bearer(deviceToken), null, cancellationToken);

    /// <summary>One prekey bundle per device of an account (each fetch consumes one-time prekeys).</summary>
    public Task<PrekeyBundles> GetBundlesAsync(string deviceToken, Guid accountId, CancellationToken cancellationToken = default) =>
        SendAsync<PrekeyBundles>(HttpMethod.Get, Routes.AccountBundles(accountId), Bearer(deviceToken), null, cancellationToken);

    /// <summary>The signed-in account's active devices.</summary>
    public async Task<IReadOnlyList<DeviceInfo>> ListDevicesAsync(string accessToken, CancellationToken cancellationToken = default) =>
        await SendAsync<List<DeviceInfo>>(HttpMethod.Get, Routes.Devices, Bearer(accessToken), null, cancellationToken);

    /// <summary>Revokes a device; the server answers 204.</summary>
    public async Task DeleteDeviceAsync(string accessToken, Guid deviceId, CancellationToken cancellationToken = default)
    {
        using var response = await SendCoreAsync(HttpMethod.Delete, Routes.Device(deviceId), Bearer(accessToken), null, cancellationToken);
    }

    private static string Bearer(string token, [CallerArgumentExpression(nameof(token))] string? paramName = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(token, paramName);
        return token;
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string route, string? token, object? body, CancellationToken cancellationToken)
        where T : class
    {
        using var response = await SendCoreAsync(method, route, token, body, cancellationToken);
        T? value;
        try
        {
            value = await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken);
        }
        catch (JsonException e)
        {
            throw Errors.InvalidResponse($"{method} {route}", e);
        }

        return value ?? throw Errors.InvalidResponse($"{method} {route}");
    }

    private async Task<HttpResponseMessage> SendCoreAsync(
        HttpMethod method, string route, string? token, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(route, UriKind.Relative));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        }

        var response = await _http.SendAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await ProblemReader.ReadAsync(response, cancellationToken);
        }
    }
}
