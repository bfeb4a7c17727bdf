using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Contracts;
using Messaging.Testing;
using Microsoft.AspNetCore.SignalR.Client;

namespace Messaging.Server.Tests.Security;

/// <summary>Someone calling: their account token, a device-bound token when they have a device, and their device.</summary>
public sealed record Actor(string Name, TestPerson? Person, string? Token, string? DeviceToken, Guid? DeviceId);

/// <summary>
/// Two practices with every role, built once through the real flows, for the authorization matrix: practice A has an
/// admin, two secretaries, two doctors and a consenting patient; practice B a secretary, a doctor and a patient; plus
/// the operator, a doctor of A whose session has no second factor yet, and an anonymous caller.
/// </summary>
public sealed class AuthorizationWorld : IAsyncLifetime
{
    private readonly Dictionary<string, Actor> actors = [];
    private HttpClient? http;

    public TestServer Server { get; private set; } = null!;

    public Scenario Scenario { get; private set; } = null!;

    public Guid PracticeA => Scenario.Practice;

    public Guid PracticeB { get; private set; }

    /// <summary>A conversation in A between secretary A, doctor A and patient A.</summary>
    public Guid ConversationA { get; private set; }

    /// <summary>People of A used as the targets of operations (never callers).</summary>
    public TestPerson SecondDoctorA { get; private set; } = null!;

    public TestPerson SecondSecretaryA { get; private set; } = null!;

    public IReadOnlyDictionary<string, Actor> Actors => actors;

    public async ValueTask InitializeAsync()
    {
        Server = await TestServer.StartAsync();
        Scenario = await Messaging.Testing.Scenario.StartAsync(Server);
        http = new HttpClient { BaseAddress = Server.BaseAddress };
        var (practiceB, adminB) = await Scenario.PracticeAsync("Cabinet B");
        PracticeB = practiceB;

        var secretaryA = await Scenario.StaffAsync(Roles.Secretary);
        var doctorA = await Scenario.StaffAsync(Roles.Doctor);
        var patientA = await Scenario.PatientAsync(inviter: secretaryA);
        SecondDoctorA = await Scenario.StaffAsync(Roles.Doctor);
        SecondSecretaryA = await Scenario.StaffAsync(Roles.Secretary);
        var secretaryB = await Scenario.StaffAsync(Roles.Secretary, practiceB, adminB);
        var doctorB = await Scenario.StaffAsync(Roles.Doctor, practiceB, adminB);
        var patientB = await Scenario.PatientAsync(practiceB, secretaryB);
        ConversationA = await Scenario.ConversationAsync(secretaryA, doctorA, patientA);

        actors["anonymous"] = new Actor("anonymous", null, null, null, null);
        var unverified = await Scenario.Api.SignInAsync(doctorA.Login, doctorA.Password);
        actors["doctorA-no-second-factor"] = new Actor("doctorA-no-second-factor", doctorA, unverified.AccessToken, null, null);
        foreach (var (name, person) in new[]
        {
            ("operator", Scenario.Operator), ("adminA", Scenario.Admin), ("secretaryA", secretaryA), ("doctorA", doctorA), ("patientA", patientA),
            ("adminB", adminB), ("secretaryB", secretaryB), ("doctorB", doctorB), ("patientB", patientB),
        })
        {
            var device = await Scenario.RegisterDeviceAsync(person);
            var session = await Scenario.DeviceSessionAsync(person, device.DeviceId);
            actors[name] = new Actor(name, person, await Scenario.FreshTokenAsync(person), session.AccessToken, device.DeviceId);
        }
    }

    public Actor this[string name] => actors[name];

    /// <summary>An HTTP call as <paramref name="token"/>'s holder: the status and the body (problem details or the answer).</summary>
    public async Task<(int Status, string? Body)> CallAsync(HttpMethod method, string route, string? token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(route, UriKind.Relative));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: JsonSerializerOptions.Web);
        }

        using var response = await http!.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A hub send as the actor's device (or account token): the hub error code, "ok", or "refused" when the connection itself was.</summary>
    public async Task<string> HubSendAsync(Actor actor, Guid conversationId)
    {
        var token = actor.DeviceToken ?? actor.Token;
        var connection = RawHub.Create(Server.BaseAddress, token);
        try
        {
            await connection.StartAsync(Messaging.Testing.Scenario.Timeout());
        }
        catch (Exception e) when (e is HttpRequestException or System.Net.WebSockets.WebSocketException)
        {
            await connection.DisposeAsync();
            return "refused";
        }

        await using (connection)
        {
            var result = await connection.InvokeAsync<SendResult>(HubMethods.Send, new SendRequest
            {
                ConversationId = conversationId,
                MessageId = Guid.CreateVersion7(),
                Copies = [new OutgoingCopy { DeviceId = Guid.NewGuid(), Ciphertext = new byte[32] }],
            });
            return result.Error?.Code ?? "ok";
        }
    }

    public async ValueTask DisposeAsync()
    {
        http?.Dispose();
        await Scenario.DisposeAsync();
        await Server.DisposeAsync();
    }
}
