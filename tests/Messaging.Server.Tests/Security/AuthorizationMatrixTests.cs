using Messaging.Contracts;
using Messaging.Server.Features.Audit;
using Messaging.Testing;

namespace Messaging.Server.Tests.Security;

/// <summary>
/// Every route and hub method, as every kind of caller, in and across practices: exactly the listed callers succeed,
/// every other one is refused (401, 403 or 404, or a hub error) and the refusal is audited. The rules come from
/// Features/Practices/AccessRules.cs and the policies of Features/Accounts/Authentication.cs; docs/security.md
/// holds the same table.
/// </summary>
public sealed class AuthorizationMatrixTests(AuthorizationWorld world) : IClassFixture<AuthorizationWorld>
{
    private const string Anonymous = "anonymous";
    private const string Unverified = "doctorA-no-second-factor";

    private static readonly string[] Everyone =
        [Anonymous, Unverified, "operator", "adminA", "secretaryA", "doctorA", "patientA", "adminB", "secretaryB", "doctorB", "patientB"];

    private static readonly string[] Verified = [.. Everyone.Except([Anonymous, Unverified])];

    public static TheoryData<string, string[]> Matrix => new()
    {
        { "GET /api/accounts/me", [.. Everyone.Except([Anonymous])] },
        { "POST /api/practices", ["operator"] },
        { "POST /api/practices/A/invitations (doctor)", ["adminA"] },
        { "POST /api/practices/A/invitations (patient)", ["secretaryA", "doctorA"] },
        { "GET /api/practices/A/members", ["adminA", "secretaryA", "doctorA"] },
        { "DELETE /api/practices/A/members/{doctor}", ["adminA"] },
        { "POST /api/conversations (A, with patient A)", ["secretaryA", "doctorA"] },
        { "POST /api/conversations (A, with a doctor of A)", ["secretaryA", "doctorA"] },
        { "POST /api/conversations (A, with a secretary of A)", ["doctorA"] },
        { "POST /api/conversations (B, with patient B)", ["secretaryB", "doctorB"] },
        { "GET /api/conversations", Verified },
        { "GET /api/conversations/{A}/devices", ["secretaryA", "doctorA", "patientA"] },
        { "HUB Send (conversation in A)", ["secretaryA", "doctorA", "patientA"] },
        { "GET /api/accounts/{doctorA}/bundles", ["secretaryA", "doctorA", "patientA"] },
        { "POST /api/devices", Verified },
        { "DELETE /api/devices/{doctorA's spare device}", ["adminA", "doctorA"] },
        { "POST /api/consent", ["patientA", "patientB"] },
        { "DELETE /api/consent (patient B)", ["patientB"] },
        { "POST /api/mfa/recovery-codes", Verified },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Operation_AsEveryCaller_SucceedsForExactlyTheAllowedOnes(string operation, string[] allowed)
    {
        var run = await PrepareAsync(operation);
        var unexpected = new List<string>();
        foreach (var name in Everyone)
        {
            var actor = world[name];
            var lastEvent = await LastAuditEventAsync();
            if (await run(actor) is not { } succeeded)
            {
                continue;
            }

            if (succeeded != allowed.Contains(name))
            {
                unexpected.Add($"{name}: {(succeeded ? "succeeded" : "was refused")}");
            }
            else if (!succeeded && !await DenialAuditedSinceAsync(lastEvent))
            {
                unexpected.Add($"{name}: refused without an audit record");
            }
        }

        Assert.True(unexpected.Count == 0, $"{operation}: {string.Join("; ", unexpected)}");
    }

    [Fact]
    public async Task SecretaryOfPracticeB_SeesNothingOfPracticeA()
    {
        var secretaryB = world["secretaryB"];

        var conversations = await world.Scenario.Api.GetConversationsAsync(secretaryB.Token!);
        var members = await world.CallAsync(HttpMethod.Get, Routes.PracticeMembers(world.PracticeA), secretaryB.Token);
        var devices = await world.CallAsync(HttpMethod.Get, Routes.ConversationDevices(world.ConversationA), secretaryB.Token);
        var bundles = await world.CallAsync(HttpMethod.Get, Routes.AccountBundles(world["doctorA"].Person!.AccountId), secretaryB.DeviceToken);

        Assert.DoesNotContain(conversations, c => c.PracticeId == world.PracticeA);
        Assert.Equal(403, members.Status);
        Assert.Equal(404, devices.Status);
        Assert.Equal(404, bundles.Status);
        Assert.Equal("not-a-member", await world.HubSendAsync(secretaryB, world.ConversationA));
    }

    /// <summary>Each operation as a function of the caller: true when the server did it.</summary>
    /// <remarks>A null answer means the caller was not tried for that row (the reason is given where it happens).</remarks>
    private async Task<Func<Actor, Task<bool?>>> PrepareAsync(string operation)
    {
        var api = world.Scenario.Api;
        var doctorA = world["doctorA"].Person!;
        switch (operation)
        {
            case "GET /api/accounts/me":
                return Http(HttpMethod.Get, Routes.CurrentAccount);
            case "POST /api/practices":
                return Http(HttpMethod.Post, Routes.Practices, new CreatePracticeRequest("Cabinet C", null, null));
            case "POST /api/practices/A/invitations (doctor)":
                return Http(HttpMethod.Post, Routes.PracticeInvitations(world.PracticeA), new CreateInvitationRequest(Roles.Doctor, null, null, null, null));
            case "POST /api/practices/A/invitations (patient)":
                return Http(HttpMethod.Post, Routes.PracticeInvitations(world.PracticeA),
                    new CreateInvitationRequest(Roles.Patient, Scenario.UniqueLogin("invited"), null, null, null));
            case "GET /api/practices/A/members":
                return Http(HttpMethod.Get, Routes.PracticeMembers(world.PracticeA));
            case "DELETE /api/practices/A/members/{doctor}":
                var leaving = await world.Scenario.StaffAsync(Roles.Doctor);
                return Http(HttpMethod.Delete, Routes.PracticeMember(world.PracticeA, leaving.AccountId));
            case "POST /api/conversations (A, with patient A)":
                return Http(HttpMethod.Post, Routes.Conversations, new CreateConversationRequest(world.PracticeA, [world["patientA"].Person!.AccountId]));
            case "POST /api/conversations (A, with a doctor of A)":
                return Http(HttpMethod.Post, Routes.Conversations, new CreateConversationRequest(world.PracticeA, [world.SecondDoctorA.AccountId]));
            case "POST /api/conversations (A, with a secretary of A)":
                return Http(HttpMethod.Post, Routes.Conversations, new CreateConversationRequest(world.PracticeA, [world.SecondSecretaryA.AccountId]));
            case "POST /api/conversations (B, with patient B)":
                // The rows share one world in no fixed order: the withdrawal row below may have run already.
                await api.GiveConsentAsync(world["patientB"].Token!, await world.Scenario.TermsVersionAsync());
                return Http(HttpMethod.Post, Routes.Conversations, new CreateConversationRequest(world.PracticeB, [world["patientB"].Person!.AccountId]));
            case "GET /api/conversations":
                return Http(HttpMethod.Get, Routes.Conversations);
            case "GET /api/conversations/{A}/devices":
                return Http(HttpMethod.Get, Routes.ConversationDevices(world.ConversationA));
            case "HUB Send (conversation in A)":
                // Past the access check, a copy for an unknown device is answered devices-changed: the caller was let in.
                return async actor => await world.HubSendAsync(actor, world.ConversationA) == ErrorCodes.DevicesChanged;
            case "GET /api/accounts/{doctorA}/bundles":
                return Http(HttpMethod.Get, Routes.AccountBundles(doctorA.AccountId), device: true);
            case "POST /api/devices":
                return Http(HttpMethod.Post, Routes.Devices, () => new RegisterDeviceRequest(TestIdentities.NewIdentity().Encoded));
            case "DELETE /api/devices/{doctorA's spare device}":
                var spare = await world.Scenario.RegisterDeviceAsync(doctorA);
                return Http(HttpMethod.Delete, Routes.Device(spare.DeviceId));
            case "POST /api/consent":
                var terms = await world.Scenario.TermsVersionAsync();
                return Http(HttpMethod.Post, Routes.Consent, new GiveConsentRequest(terms));
            case "DELETE /api/consent (patient B)":
                // Withdrawal is every patient's right; patient A keeps consent so that the other rows stay meaningful.
                return actor => actor.Name == "patientA" ? Task.FromResult<bool?>(null) : Http(HttpMethod.Delete, Routes.Consent)(actor);
            case "POST /api/mfa/recovery-codes":
                // New codes replace the ones the scenario signs people in with: it keeps the fresh ones.
                return async actor =>
                {
                    var (status, body) = await world.CallAsync(HttpMethod.Post, Routes.RecoveryCodes, actor.Token);
                    if (status == 200 && actor.Person is { } person)
                    {
                        person.RecoveryCodes.Clear();
                        foreach (var code in System.Text.Json.JsonDocument.Parse(body!).RootElement.GetProperty("codes").EnumerateArray())
                        {
                            person.RecoveryCodes.Enqueue(code.GetString()!);
                        }
                    }

                    return status == 200;
                };
            default:
                throw new ArgumentException($"No such operation: {operation}", nameof(operation));
        }
    }

    private Func<Actor, Task<bool?>> Http(HttpMethod method, string route, object? body = null, bool device = false) =>
        Http(method, route, () => body, device);

    private Func<Actor, Task<bool?>> Http(HttpMethod method, string route, Func<object?> body, bool device = false) =>
        async actor =>
        {
            var token = device ? actor.DeviceToken ?? actor.Token : actor.Token;
            var (status, _) = await world.CallAsync(method, route, token, body());
            return status is >= 200 and < 300;
        };

    private async Task<Guid?> LastAuditEventAsync() =>
        await world.Server.Get<IAuditLog>().ListRecentAsync(1, CancellationToken.None) is [var last, ..] ? last.Id : null;

    private async Task<bool> DenialAuditedSinceAsync(Guid? lastEvent)
    {
        var recent = await world.Server.Get<IAuditLog>().ListRecentAsync(50, CancellationToken.None);
        return recent.TakeWhile(e => e.Id != lastEvent).Any(e => e.Outcome == AuditOutcomes.Denied);
    }
}
