using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Messaging.Client;
using Messaging.Contracts;
using Messaging.Server.Features.Audit;
using Messaging.Testing;
using Microsoft.AspNetCore.Routing;

namespace Messaging.Server.Tests.Hosting;

/// <summary>The HTTP surface: health, OpenAPI, problem details for every kind of bad request, audited denials.</summary>
public sealed class HttpApiTests : IAsyncLifetime
{
    private TestServer server = null!;
    private Scenario scenario = null!;
    private HttpClient http = null!;

    public async ValueTask InitializeAsync()
    {
        server = await TestServer.StartAsync();
        scenario = await Scenario.StartAsync(server);
        http = new HttpClient { BaseAddress = server.BaseAddress };
    }

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await scenario.DisposeAsync();
        await server.DisposeAsync();
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_RunningServer_Answers200(string path)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task OpenApi_Document_DescribesEveryHttpEndpoint()
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative)));
        var described = document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => $"{op.Name.ToUpperInvariant()} {path.Name}"))
            .ToHashSet();

        var mapped = server.Get<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()!.HttpMethods
                .Select(m => $"{m} {OpenApiPath(e.RoutePattern.RawText!)}"))
            .ToHashSet();

        Assert.NotEmpty(mapped);
        Assert.Subset(described, mapped);
        Assert.True(document.RootElement.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("Bearer", out _));
    }

    [Fact]
    public async Task Post_MalformedJson_IsProblemDetailsInvalidRequest()
    {
        using var content = new StringContent("{\"login\": ", Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri(Routes.Sessions, UriKind.Relative), content);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest);
    }

    [Fact]
    public async Task Get_UnknownRoute_IsProblemDetailsNotFound()
    {
        using var response = await http.GetAsync(new Uri("/api/nothing-here", UriKind.Relative));

        await AssertProblemAsync(response, HttpStatusCode.NotFound, ErrorCodes.NotFound);
    }

    [Fact]
    public async Task Get_WithoutToken_IsUnauthenticatedAndAudited()
    {
        using var response = await http.GetAsync(new Uri(Routes.CurrentAccount, UriKind.Relative));

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.Unauthenticated);
        await AssertAuditedAsync(null, ErrorCodes.Unauthenticated);
    }

    [Fact]
    public async Task Get_WithForgedToken_IsUnauthenticated()
    {
        var alice = await scenario.MemberAsync();
        var parts = alice.Token.Split('.');
        var forged = $"{parts[0]}.{parts[1]}.{new string('A', parts[2].Length)}";
        using var request = new HttpRequestMessage(HttpMethod.Get, Routes.CurrentAccount);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", forged);

        using var response = await http.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.Unauthenticated);
    }

    [Fact]
    public async Task Invite_AdminByDoctor_IsForbiddenAuditedAndCreatesNothing()
    {
        var alice = await scenario.MemberAsync();

        var error = await Assert.ThrowsAsync<MessagingException>(
            () => scenario.Api.InviteAsync(alice.Token, scenario.Practice, new CreateInvitationRequest(Roles.Admin, null, null, null, null)));

        Assert.Equal(ErrorCodes.Forbidden, error.Code);
        Assert.Equal(403, error.Status);
        await AssertAuditedAsync(alice.AccountId, ErrorCodes.Forbidden);
    }

    [Theory]
    [InlineData("short", Roles.Doctor, ErrorCodes.InvalidRequest)]
    [InlineData("password1234", Roles.Doctor, ErrorCodes.InvalidRequest)]
    [InlineData(Scenario.Password, "superuser", ErrorCodes.InvalidRequest)]
    public async Task AcceptInvitation_InvalidInput_IsInvalidRequest(string password, string role, string code)
    {
        var error = await Assert.ThrowsAsync<MessagingException>(async () =>
        {
            var invitation = await scenario.Api.InviteAsync(scenario.Admin.Token, scenario.Practice, new CreateInvitationRequest(role, null, null, null, null));
            await scenario.Api.AcceptInvitationAsync(new AcceptInvitationRequest(invitation.Token, Scenario.UniqueLogin("x"), password, null));
        });

        Assert.Equal(code, error.Code);
    }

    [Fact]
    public async Task AcceptInvitation_TakenLoginInAnotherCase_IsConflict()
    {
        var alice = await scenario.MemberAsync();
        var invitation = await scenario.Api.InviteAsync(scenario.Admin.Token, scenario.Practice, new CreateInvitationRequest(Roles.Doctor, null, null, null, null));

        var error = await Assert.ThrowsAsync<MessagingException>(() => scenario.Api.AcceptInvitationAsync(
            new AcceptInvitationRequest(invitation.Token, $"  {alice.Login.ToUpperInvariant()} ", Scenario.Password, null)));

        Assert.Equal(ErrorCodes.Conflict, error.Code);
    }

    [Fact]
    public async Task SignIn_WrongPassword_IsInvalidCredentialsAndAudited()
    {
        var alice = await scenario.MemberAsync();

        var error = await Assert.ThrowsAsync<MessagingException>(() => scenario.Api.SignInAsync(alice.Login, "not the right password"));

        Assert.Equal(ErrorCodes.InvalidCredentials, error.Code);
        await AssertAuditedAsync(alice.AccountId, ErrorCodes.InvalidCredentials);
    }

    [Fact]
    public async Task SignIn_UnknownAccount_IsTheSameAnswerAsAWrongPassword()
    {
        var error = await Assert.ThrowsAsync<MessagingException>(() => scenario.Api.SignInAsync(Scenario.UniqueLogin("nobody"), Scenario.Password));

        Assert.Equal(ErrorCodes.InvalidCredentials, error.Code);
        Assert.Equal(401, error.Status);
    }

    [Fact]
    public async Task DeviceSession_ForAnotherAccountsDevice_IsNotFound()
    {
        var alice = await scenario.MemberAsync();
        var bob = await scenario.MemberAsync();
        var bobDevice = await scenario.RegisterDeviceAsync(bob);
        var challenge = await scenario.Api.CreateChallengeAsync();
        var proof = (await scenario.DeviceSessionAsync(bob, bobDevice.DeviceId)).DeviceId;

        var error = await Assert.ThrowsAsync<MessagingException>(() => scenario.Api.CreateDeviceSessionAsync(
            alice.Token, new DeviceSessionRequest(bobDevice.DeviceId, challenge.Challenge, new byte[64])));

        Assert.Equal(bobDevice.DeviceId, proof);
        Assert.Equal(ErrorCodes.NotFound, error.Code);
    }

    [Fact]
    public async Task RegisterDevice_EmptyIdentity_IsInvalidRequest()
    {
        var alice = await scenario.MemberAsync();

        var error = await Assert.ThrowsAsync<MessagingException>(() => scenario.Api.RegisterDeviceAsync(alice.Token, new RegisterDeviceRequest([])));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
    }

    [Fact]
    public async Task RegisterDevice_BadSignatureOrNotAnIdentity_IsInvalidRequest()
    {
        var alice = await scenario.MemberAsync();
        var identity = TestIdentities.NewIdentity().Encoded;
        byte[] badSignature = [.. identity[..^1], (byte)(identity[^1] ^ 1)];
        byte[] otherVersion = [0x02, .. identity[1..]];

        foreach (var bytes in new[] { badSignature, otherVersion, identity[..^1], System.Security.Cryptography.RandomNumberGenerator.GetBytes(129) })
        {
            var error = await Assert.ThrowsAsync<MessagingException>(() => scenario.Api.RegisterDeviceAsync(alice.Token, new RegisterDeviceRequest(bytes)));
            Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        }

        Assert.Empty(await scenario.Api.ListDevicesAsync(alice.Token));
        Assert.NotNull(await scenario.Api.RegisterDeviceAsync(alice.Token, new RegisterDeviceRequest(identity)));
    }

    [Fact]
    public async Task ConversationDevices_NonMember_IsNotFoundAndAudited()
    {
        var alice = await scenario.MemberAsync();
        var bob = await scenario.MemberAsync();
        var eve = await scenario.MemberAsync();
        var conversation = await scenario.ConversationAsync(alice, bob);

        var error = await Assert.ThrowsAsync<MessagingException>(() => scenario.Api.GetConversationDevicesAsync(eve.Token, conversation));

        Assert.Equal(ErrorCodes.NotFound, error.Code);
        await AssertAuditedAsync(eve.AccountId, ErrorCodes.NotAMember);
        Assert.Empty(await scenario.Api.GetConversationsAsync(eve.Token));
    }

    [Fact]
    public async Task CreateConversation_WithAdminOrUnknownAccount_IsForbiddenAndCreatesNothing()
    {
        var alice = await scenario.MemberAsync();

        foreach (var member in new[] { scenario.Admin.AccountId, Guid.NewGuid() })
        {
            var error = await Assert.ThrowsAsync<MessagingException>(
                () => scenario.Api.CreateConversationAsync(alice.Token, new CreateConversationRequest(scenario.Practice, [member])));
            Assert.Equal(ErrorCodes.Forbidden, error.Code);
        }

        Assert.Empty(await scenario.Api.GetConversationsAsync(alice.Token));
    }

    [Fact]
    public async Task CreateConversation_ByAdmin_IsForbidden()
    {
        var alice = await scenario.MemberAsync();

        var error = await Assert.ThrowsAsync<MessagingException>(
            () => scenario.Api.CreateConversationAsync(scenario.Admin.Token, new CreateConversationRequest(scenario.Practice, [alice.AccountId])));

        Assert.Equal(ErrorCodes.Forbidden, error.Code);
    }

    [Fact]
    public async Task Root_ServesTheWebClientWithSecurityHeaders()
    {
        using var response = await http.GetAsync(new Uri("/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<html lang=\"fr\">", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    private static string OpenApiPath(string pattern) =>
        System.Text.RegularExpressions.Regex.Replace(pattern, @"\{(\w+)(:[^}]*)?\}", "{$1}").TrimEnd('/');

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(ErrorCodes.TypeUri(code), problem.GetProperty("type").GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
    }

    private async Task AssertAuditedAsync(Guid? accountId, string reason)
    {
        var events = await server.Get<IAuditLog>().ListRecentAsync(50, CancellationToken.None);
        Assert.Contains(events, e => e.Outcome == AuditOutcomes.Denied && e.Reason == reason && e.AccountId == accountId);
    }
}
