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

    /// <summary>Password sign-in: a first account token, and what the second step is (<see cref="SignInResponse.SecondFactor"/>).</summary>
    public Task<SignInResponse> SignInAsync(string login, string password, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(login);
        ArgumentException.ThrowIfNullOrEmpty(password);
        return SendAsync<SignInResponse>(HttpMethod.Post, Routes.Sessions, null, new LoginRequest(login, password), cancellationToken);
    }

    /// <summary>Completes the session's second factor; the answer is a verified account token.</summary>
    public Task<TokenResponse> VerifySecondFactorAsync(string accountToken, string method, string code, CancellationToken cancellationToken = default) =>
        SendAsync<TokenResponse>(HttpMethod.Post, Routes.SecondFactor, Bearer(accountToken), new SecondFactorRequest(method, code), cancellationToken);

    /// <summary>Asks the server to email a patient the code a new device needs.</summary>
    public Task SendEmailCodeAsync(string accountToken, CancellationToken cancellationToken = default) =>
        SendNoContentAsync(HttpMethod.Post, Routes.EmailCode, Bearer(accountToken), null, cancellationToken);

    /// <summary>A fresh challenge for a device to sign (see Messaging.Protocol's SessionProof).</summary>
    public Task<SessionChallenge> CreateChallengeAsync(CancellationToken cancellationToken = default) =>
        SendAsync<SessionChallenge>(HttpMethod.Post, Routes.SessionChallenge, null, null, cancellationToken);

    /// <summary>Opens a session for a device of the account; the device signed the challenge.</summary>
    public Task<DeviceSessionResponse> CreateDeviceSessionAsync(string accountToken, DeviceSessionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync<DeviceSessionResponse>(HttpMethod.Post, Routes.DeviceSessions, Bearer(accountToken), request, cancellationToken);
    }

    /// <summary>Exchanges a single-use refresh token (with a fresh device signature) for new tokens.</summary>
    public Task<DeviceSessionResponse> RefreshAsync(RefreshRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync<DeviceSessionResponse>(HttpMethod.Post, Routes.RefreshSession, null, request, cancellationToken);
    }

    /// <summary>Ends this device's session (the token must be device-bound).</summary>
    public Task SignOutAsync(string deviceToken, CancellationToken cancellationToken = default) =>
        SendNoContentAsync(HttpMethod.Delete, Routes.CurrentSession, Bearer(deviceToken), null, cancellationToken);

    /// <summary>Ends every session of the account, on every device.</summary>
    public Task SignOutEverywhereAsync(string accessToken, CancellationToken cancellationToken = default) =>
        SendNoContentAsync(HttpMethod.Delete, Routes.Sessions, Bearer(accessToken), null, cancellationToken);

    public Task<TotpEnrolment> BeginTotpAsync(string accountToken, CancellationToken cancellationToken = default) =>
        SendAsync<TotpEnrolment>(HttpMethod.Post, Routes.Totp, Bearer(accountToken), null, cancellationToken);

    /// <summary>Confirms TOTP with a first code: recovery codes (shown once) and a verified token.</summary>
    public Task<SecondFactorEnrolled> ConfirmTotpAsync(string accountToken, TotpEnrolment enrolment, string code, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(enrolment);
        return SendAsync<SecondFactorEnrolled>(HttpMethod.Post, Routes.ConfirmTotp, Bearer(accountToken), new ConfirmTotpRequest(code, enrolment.State), cancellationToken);
    }

    public Task<RecoveryCodes> RegenerateRecoveryCodesAsync(string accessToken, CancellationToken cancellationToken = default) =>
        SendAsync<RecoveryCodes>(HttpMethod.Post, Routes.RecoveryCodes, Bearer(accessToken), null, cancellationToken);

    /// <summary>Registers a new device of the account that <paramref name="accountToken"/> belongs to.</summary>
    public Task<DeviceInfo> RegisterDeviceAsync(string accountToken, RegisterDeviceRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync<DeviceInfo>(HttpMethod.Post, Routes.Devices, Bearer(accountToken), request, cancellationToken);
    }

    public Task<AccountInfo> GetCurrentAccountAsync(string accessToken, CancellationToken cancellationToken = default) =>
        SendAsync<AccountInfo>(HttpMethod.Get, Routes.CurrentAccount, Bearer(accessToken), null, cancellationToken);

    /// <summary>Creates a practice and its first admin's invitation (platform operator only).</summary>
    public Task<PracticeCreated> CreatePracticeAsync(string operatorToken, CreatePracticeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync<PracticeCreated>(HttpMethod.Post, Routes.Practices, Bearer(operatorToken), request, cancellationToken);
    }

    public Task<InvitationCreated> InviteAsync(string accessToken, Guid practiceId, CreateInvitationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync<InvitationCreated>(HttpMethod.Post, Routes.PracticeInvitations(practiceId), Bearer(accessToken), request, cancellationToken);
    }

    /// <summary>Accepts an invitation: with no token a new account is created, with one the practice is added to it.</summary>
    public Task<InvitationAccepted> AcceptInvitationAsync(AcceptInvitationRequest request, string? accessToken = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync<InvitationAccepted>(HttpMethod.Post, Routes.AcceptInvitation, accessToken, request, cancellationToken);
    }

    public async Task<IReadOnlyList<PracticeMember>> ListPracticeMembersAsync(string accessToken, Guid practiceId, CancellationToken cancellationToken = default) =>
        await SendAsync<List<PracticeMember>>(HttpMethod.Get, Routes.PracticeMembers(practiceId), Bearer(accessToken), null, cancellationToken);

    public Task RemovePracticeMemberAsync(string accessToken, Guid practiceId, Guid accountId, CancellationToken cancellationToken = default) =>
        SendNoContentAsync(HttpMethod.Delete, Routes.PracticeMember(practiceId, accountId), Bearer(accessToken), null, cancellationToken);

    /// <summary>The terms version a patient accepts (public).</summary>
    public Task<TermsInfo> GetTermsAsync(CancellationToken cancellationToken = default) =>
        SendAsync<TermsInfo>(HttpMethod.Get, Routes.Terms, null, null, cancellationToken);

    public Task<ConsentInfo> GetConsentAsync(string accessToken, CancellationToken cancellationToken = default) =>
        SendAsync<ConsentInfo>(HttpMethod.Get, Routes.Consent, Bearer(accessToken), null, cancellationToken);

    public Task<ConsentInfo> GiveConsentAsync(string accessToken, string termsVersion, CancellationToken cancellationToken = default) =>
        SendAsync<ConsentInfo>(HttpMethod.Post, Routes.Consent, Bearer(accessToken), new GiveConsentRequest(termsVersion), cancellationToken);

    public Task<ConsentInfo> WithdrawConsentAsync(string accessToken, CancellationToken cancellationToken = default) =>
        SendAsync<ConsentInfo>(HttpMethod.Delete, Routes.Consent, Bearer(accessToken), null, cancellationToken);

    public Task RequestPasswordResetAsync(string login, CancellationToken cancellationToken = default) =>
        SendNoContentAsync(HttpMethod.Post, Routes.PasswordReset, null, new PasswordResetRequest(login), cancellationToken);

    public Task CompletePasswordResetAsync(string token, string newPassword, CancellationToken cancellationToken = default) =>
        SendNoContentAsync(HttpMethod.Post, Routes.CompletePasswordReset, null, new CompletePasswordResetRequest(token, newPassword), cancellationToken);

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
    public Task DeleteDeviceAsync(string accessToken, Guid deviceId, CancellationToken cancellationToken = default) =>
        SendNoContentAsync(HttpMethod.Delete, Routes.Device(deviceId), Bearer(accessToken), null, cancellationToken);

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

    private async Task SendNoContentAsync(HttpMethod method, string route, string? token, object? body, CancellationToken cancellationToken)
    {
        using var response = await SendCoreAsync(method, route, token, body, cancellationToken);
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
