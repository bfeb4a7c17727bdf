using System.Net;
using Messaging.Client;
using Messaging.Contracts;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Delivery;
using Messaging.Testing;

namespace Messaging.Server.Tests.Features.Accounts;

/// <summary>
/// A patient's consent: withdrawn, nothing more is stored for or delivered to them, what waited is deleted, and the
/// conversation and their keys are out of reach; given again (to the current terms), delivery resumes.
/// </summary>
public sealed class ConsentTests : IAsyncLifetime
{
    private readonly TestCiphertext cipher = new();
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

    [Fact]
    public async Task Withdraw_PatientWithAWaitingCopy_DeletesItLeavesTheRecipientListAndIsAudited()
    {
        var world = await ConversationWithPatientAsync();
        await world.DoctorDevice.SendTextAsync(world.Conversation, cipher, "Votre rendez-vous est confirmé");
        Assert.Single(await QueueAsync(world.PatientDevice));

        var withdrawn = await scenario.Api.WithdrawConsentAsync(await scenario.FreshTokenAsync(world.Patient, cancellationToken: Ct), Ct);

        Assert.NotNull(withdrawn.WithdrawnAtUnixMs);
        Assert.Empty(await QueueAsync(world.PatientDevice));
        var devices = await world.DoctorDevice.GetConversationDevicesAsync(world.Conversation, Ct);
        Assert.DoesNotContain(devices.Devices, d => d.AccountId == world.Patient.AccountId);
        Assert.Contains(devices.Devices, d => d.DeviceId == world.DoctorOther.DeviceId);
        await server.AssertAuditedAsync("consent.withdraw", AuditOutcomes.Success, world.Patient.AccountId);
    }

    [Fact]
    public async Task Send_AfterWithdrawal_CoversTheRemainingDevicesAndQueuesNothingForThePatient()
    {
        var world = await ConversationWithPatientAsync();
        await scenario.Api.WithdrawConsentAsync(await scenario.FreshTokenAsync(world.Patient, cancellationToken: Ct), Ct);

        var stale = await Assert.ThrowsAsync<MessagingException>(() => world.DoctorDevice.SendAsync(
            world.Conversation,
            MessagingClient.NewMessageId(),
            [
                new OutgoingCopy { DeviceId = world.DoctorOther.DeviceId, Ciphertext = cipher.Seal("stale list") },
                new OutgoingCopy { DeviceId = world.PatientDevice, Ciphertext = cipher.Seal("stale list") },
            ],
            Ct));
        var ack = await world.DoctorDevice.SendTextAsync(world.Conversation, cipher, "après le retrait");

        Assert.Equal(ErrorCodes.DevicesChanged, stale.Code);
        Assert.Contains(world.PatientDevice, stale.HubError?.ExtraDevices ?? []);
        Assert.Equal(1, ack.Sequence);
        var received = await world.DoctorOther.ReceiveAsync(1);
        Assert.Equal("après le retrait", cipher.Open(received[0].Ciphertext));
        Assert.Empty(await QueueAsync(world.PatientDevice));
    }

    [Fact]
    public async Task Withdraw_Patient_LosesTheConversationAndTheirKeysAreOutOfReach()
    {
        var world = await ConversationWithPatientAsync();
        var doctorToken = await world.DoctorDevice.GetAccessTokenAsync(Ct);
        var patientToken = await scenario.FreshTokenAsync(world.Patient, cancellationToken: Ct);
        Assert.Equal(HttpStatusCode.OK, (await http.CallAsync(HttpMethod.Get, Routes.AccountBundles(world.Patient.AccountId), doctorToken)).Status);
        Assert.Single(await scenario.Api.GetConversationsAsync(patientToken, Ct));

        await scenario.Api.WithdrawConsentAsync(patientToken, Ct);

        Assert.Empty(await scenario.Api.GetConversationsAsync(patientToken, Ct));
        await AccountTestKit.RefusedAsync(() => scenario.Api.GetConversationDevicesAsync(patientToken, world.Conversation, Ct), ErrorCodes.NotFound, 404);
        var bundles = await http.CallAsync(HttpMethod.Get, Routes.AccountBundles(world.Patient.AccountId), doctorToken);
        Assert.Equal((HttpStatusCode.NotFound, ErrorCodes.NotFound), (bundles.Status, bundles.Code));
        var patientClient = scenario.ClientFor(world.Patient, world.PatientDevice);
        await patientClient.ConnectAsync(Scenario.Timeout());
        var send = await Assert.ThrowsAsync<MessagingException>(() => patientClient.SendAsync(
            world.Conversation,
            MessagingClient.NewMessageId(),
            [new OutgoingCopy { DeviceId = world.DoctorDevice.DeviceId, Ciphertext = cipher.Seal("encore là ?") }],
            Ct));
        Assert.Equal(ErrorCodes.NotAMember, send.Code);
        await AccountTestKit.RefusedAsync(
            () => scenario.Api.CreateConversationAsync(
                doctorToken, new CreateConversationRequest(scenario.Practice, [world.Patient.AccountId]), Ct),
            ErrorCodes.Forbidden,
            403);
    }

    [Fact]
    public async Task GiveConsent_AfterWithdrawal_RestoresDeliveryAndNothingOlderArrives()
    {
        var world = await ConversationWithPatientAsync();
        var before = MessagingClient.NewMessageId();
        await world.DoctorDevice.SendTextAsync(world.Conversation, cipher, "avant le retrait", before);
        var patientToken = await scenario.FreshTokenAsync(world.Patient, cancellationToken: Ct);
        await scenario.Api.WithdrawConsentAsync(patientToken, Ct);
        var during = MessagingClient.NewMessageId();
        await world.DoctorDevice.SendTextAsync(world.Conversation, cipher, "pendant le retrait", during);
        var patientClient = scenario.ClientFor(world.Patient, world.PatientDevice);
        await patientClient.ConnectAsync(Scenario.Timeout());
        await patientClient.WaitForDrainAsync(Scenario.Timeout());
        var terms = await scenario.Api.GetTermsAsync(Ct);

        var consent = await scenario.Api.GiveConsentAsync(patientToken, terms.Version, Ct);
        var after = MessagingClient.NewMessageId();
        await world.DoctorDevice.SendTextAsync(world.Conversation, cipher, "après le nouveau consentement", after);

        Assert.Equal(terms.Version, consent.AcceptedTermsVersion);
        Assert.Null(consent.WithdrawnAtUnixMs);
        var first = Assert.Single(await patientClient.ReceiveAsync(1));
        Assert.Equal(after, first.MessageId);
        Assert.Equal("après le nouveau consentement", cipher.Open(first.Ciphertext));
        Assert.Contains((await world.DoctorDevice.GetConversationDevicesAsync(world.Conversation, Ct)).Devices, d => d.DeviceId == world.PatientDevice);
        Assert.Single(await scenario.Api.GetConversationsAsync(patientToken, Ct));
        await server.AssertAuditedAsync("consent.give", AuditOutcomes.Success, world.Patient.AccountId);
    }

    [Fact]
    public async Task GiveConsent_WrongTermsVersion_IsRefusedAndDeliveryStaysStopped()
    {
        var world = await ConversationWithPatientAsync();
        var patientToken = await scenario.FreshTokenAsync(world.Patient, cancellationToken: Ct);
        await scenario.Api.WithdrawConsentAsync(patientToken, Ct);

        var refused = await http.CallAsync(HttpMethod.Post, Routes.Consent, patientToken, new GiveConsentRequest("1999-01"));

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Equal(ErrorCodes.ConsentRequired, refused.Code);
        Assert.NotNull((await scenario.Api.GetConsentAsync(patientToken, Ct)).WithdrawnAtUnixMs);
        var devices = await world.DoctorDevice.GetConversationDevicesAsync(world.Conversation, Ct);
        Assert.DoesNotContain(devices.Devices, d => d.AccountId == world.Patient.AccountId);
    }

    [Fact]
    public async Task GiveConsent_ByStaff_IsRefused()
    {
        var doctor = await scenario.MemberAsync();
        var terms = await scenario.Api.GetTermsAsync(Ct);

        var give = await http.CallAsync(HttpMethod.Post, Routes.Consent, await scenario.FreshTokenAsync(doctor, cancellationToken: Ct), new GiveConsentRequest(terms.Version));
        var withdraw = await http.CallAsync(HttpMethod.Delete, Routes.Consent, await scenario.FreshTokenAsync(doctor, cancellationToken: Ct));

        Assert.NotEqual(HttpStatusCode.OK, give.Status);
        Assert.Equal(HttpStatusCode.Forbidden, withdraw.Status);
        await server.AssertAuditedAsync("consent.withdraw", AuditOutcomes.Denied, doctor.AccountId, ErrorCodes.Forbidden);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// A doctor with two connected devices and a patient with one offline device, in one conversation (patient
    /// invited by the doctor, consenting at acceptance).
    /// </summary>
    private async Task<World> ConversationWithPatientAsync()
    {
        var doctor = await scenario.MemberAsync();
        var patient = await scenario.PatientAsync(inviter: doctor);
        var conversation = await scenario.ConversationAsync(doctor, patient);
        var doctorDevice = await scenario.DeviceAsync(doctor);
        var doctorOther = await scenario.DeviceAsync(doctor);
        var patientDevice = await scenario.RegisterDeviceAsync(patient);
        return new World(doctor, patient, conversation, doctorDevice, doctorOther, patientDevice.DeviceId);
    }

    private async Task<IReadOnlyList<QueuedCopy>> QueueAsync(Guid deviceId) =>
        await server.Get<IMessageStore>().ReadQueueAsync(deviceId, null, 100, DateTimeOffset.UtcNow, Ct);

    private sealed record World(
        TestPerson Doctor, TestPerson Patient, Guid Conversation, MessagingClient DoctorDevice, MessagingClient DoctorOther, Guid PatientDevice);
}
