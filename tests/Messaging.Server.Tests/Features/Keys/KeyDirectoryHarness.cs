using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Contracts;
using Messaging.Server.Features.Audit;
using Messaging.Testing;

namespace Messaging.Server.Tests.Features.Keys;

/// <summary>A device the test speaks for: its identity's signing key and a token bound to it.</summary>
internal sealed record KeyDevice(TestPerson Person, TestIdentity Keys, Guid DeviceId, string Token);

/// <summary>A real server on loopback and the key directory's HTTP calls, raw, so that answers can be checked byte for byte.</summary>
internal sealed class KeyDirectoryHarness : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

    private KeyDirectoryHarness(TestServer server, Scenario scenario)
    {
        Server = server;
        Scenario = scenario;
        Http = new HttpClient { BaseAddress = server.BaseAddress };
    }

    public TestServer Server { get; }

    public Scenario Scenario { get; }

    public HttpClient Http { get; }

    public static async Task<KeyDirectoryHarness> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var server = await TestServer.StartAsync(settings);
        return new KeyDirectoryHarness(server, await Scenario.StartAsync(server));
    }

    /// <summary>A new device of <paramref name="person"/> (a new member when null), registered with a real identity.</summary>
    public async Task<KeyDevice> DeviceAsync(TestPerson? person = null)
    {
        person ??= await Scenario.MemberAsync();
        var keys = TestIdentities.NewIdentity();
        var device = await Scenario.RegisterDeviceAsync(person, keys);
        var token = await Scenario.DeviceSessionAsync(person, device.DeviceId);
        return new KeyDevice(person, keys, device.DeviceId, token.AccessToken);
    }

    public Task<HttpResponseMessage> UploadAsync(KeyDevice caller, UploadPrekeysRequest request, Guid? deviceId = null) =>
        SendAsync(HttpMethod.Put, Routes.DevicePrekeys(deviceId ?? caller.DeviceId), caller.Token, request);

    public async Task<PrekeyStatus> UploadOkAsync(KeyDevice caller, UploadPrekeysRequest request)
    {
        using var response = await UploadAsync(caller, request);
        return await ReadOkAsync<PrekeyStatus>(response);
    }

    public Task<HttpResponseMessage> StatusAsync(KeyDevice caller, Guid? deviceId = null) =>
        SendAsync(HttpMethod.Get, Routes.DevicePrekeyStatus(deviceId ?? caller.DeviceId), caller.Token);

    public async Task<PrekeyStatus> StatusOkAsync(KeyDevice caller)
    {
        using var response = await StatusAsync(caller);
        return await ReadOkAsync<PrekeyStatus>(response);
    }

    public Task<HttpResponseMessage> FetchAsync(string token, Guid accountId) =>
        SendAsync(HttpMethod.Get, Routes.AccountBundles(accountId), token);

    public async Task<PrekeyBundles> FetchOkAsync(KeyDevice caller, Guid accountId)
    {
        using var response = await FetchAsync(caller.Token, accountId);
        return await ReadOkAsync<PrekeyBundles>(response);
    }

    public static async Task<T> ReadOkAsync<T>(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<T>(Json))!;
    }

    /// <summary>Checks the problem details (status and code) and returns the detail.</summary>
    public static async Task<string?> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(ErrorCodes.TypeUri(code), problem.GetProperty("type").GetString());
        return problem.TryGetProperty("detail", out var detail) ? detail.GetString() : null;
    }

    public async Task AssertAuditedAsync(KeyDevice caller, string reason, string? target = null)
    {
        var events = await Server.Get<IAuditLog>().ListRecentAsync(100, CancellationToken.None);
        Assert.Contains(events, e => e.Outcome == AuditOutcomes.Denied && e.Reason == reason
            && e.AccountId == caller.Person.AccountId && e.DeviceId == caller.DeviceId
            && (target is null || (e.Target ?? "").Contains(target, StringComparison.Ordinal)));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Scenario.DisposeAsync();
        await Server.DisposeAsync();
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        }

        return await Http.SendAsync(request);
    }
}
