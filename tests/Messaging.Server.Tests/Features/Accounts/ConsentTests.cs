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
public sealed class ConsentTests() : ServerTest(manualClock: false)
{
    private readonly TestCiphertext cipher = new();

    [Fact]
    public async Task Withdraw_PatientWithAWaitingCopy_DeletesItLeavesTheRecipientListAndIsAudited()
    {
        var world = await ConversationWithPatientAsync();
        await world.DoctorDevice.SendTextAsync(world.Conversation, cipher, "Votre rendez-vous est confirmé");
        Assert.Single(await QueueAsync(world.PatientDevice));

        var withdrawn = await Scenario.Api.WithdrawConsentAsync(await Scenario.FreshTokenAsync(world.Patient, cancellationToken: Ct), Ct);

        Assert.NotNull(withdrawn.WithdrawnAtUnixMs);
        Assert.Empty(await QueueAsync(world.PatientDevice));
        var devices = await world.DoctorDevice.GetConversationDevicesAsync(world.Conversation, Ct);
        Assert.DoesNotContain(devices.Devices, d => d.AccountId == world.Patient.AccountId);
        Assert.Contains(devices.Devices, d => d.DeviceId == world.DoctorOther.DeviceId);
        await Server.AssertAuditedAsync("consent.withdraw", AuditOutcomes.Success, world.Patient.AccountId);
    }

    [Fact]
    public async Task Send_AfterWithdrawal_CoversTheRemainingDevicesAndQueuesNothingForThePatient()
    {
        var world = await ConversationWithPatientAsync();
        await Scenario.Api.WithdrawConsentAsync(await Scenario.FreshTokenAsync(world.Patient, cancellationToken: Ct), Ct);

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
        var patientToken = await Scenario.FreshTokenAsync(world.Patient, cancellationToken: Ct);
        Assert.Equal(HttpStatusCode.OK, (await Http.CallAsync(HttpMethod.Get, Routes.AccountBundles(world.Patient.AccountId), doctorToken)).Status);
        Assert.Single(await Scenario.Api.GetConversationsAsync(patientToken, Ct));

        await Scenario.Api.WithdrawConsentAsync(patientToken, Ct);

        Assert.Empty(await Scenario.Api.GetConversationsAsync(patientToken, Ct));
        await AccountTestKit.RefusedAsync(() => Scenario.Api.GetConversationDevicesAsync(patientToken, world.Conversation, Ct), ErrorCodes.NotFound, 404);
        var bundles = await Http.CallAsync(HttpMethod.Get, Routes.AccountBundles(world.Patient.AccountId), doctorToken);
        Assert.Equal((HttpStatusCode.NotFound, ErrorCodes.NotFound), (bundles.Status, bundles.Code));
        var patientClient = Scenario.ClientFor(world.Patient, world.PatientDevice);
        await patientClient.ConnectAsync(Scenario.Timeout());
        var send = await Assert.ThrowsAsync<MessagingException>(() => patientClient.SendAsync(
            world.Conversation,
            MessagingClient.NewMessageId(),
            [new OutgoingCopy { DeviceId = world.DoctorDevice.DeviceId, Ciphertext = cipher.Seal("encore là ?") }],
            Ct));
        Assert.Equal(ErrorCodes.NotAMember, send.Code);
        await AccountTestKit.RefusedAsync(
            () => Scenario.Api.CreateConversationAsync(
                doctorToken, new CreateConversationRequest(Scenario.Practice, [world.Patient.AccountId]), Ct),
            ErrorCodes.Forbidden,
            403);
    }

    [Fact]
    public async Task GiveConsent_AfterWithdrawal_RestoresDeliveryAndNothingOlderArrives()
    {
        var world = await ConversationWithPatientAsync();
        var before = MessagingClient.NewMessageId();
        await world.DoctorDevice.SendTextAsync(world.Conversation, cipher, "avant le retrait", before);
        var patientToken = await Scenario.FreshTokenAsync(world.Patient, cancellationToken: Ct);
        await Scenario.Api.WithdrawConsentAsync(patientToken, Ct);
        var during = MessagingClient.NewMessageId();
        await world.DoctorDevice.SendTextAsync(world.Conversation, cipher, "pendant le retrait", during);
        var patientClient = Scenario.ClientFor(world.Patient, world.PatientDevice);
        await patientClient.ConnectAsync(Scenario.Timeout());
        await patientClient.WaitForDrainAsync(Scenario.Timeout());
        var terms = await Scenario.Api.GetTermsAsync(Ct);

        var consent = await Scenario.Api.GiveConsentAsync(patientToken, terms.Version, Ct);
        var after = MessagingClient.NewMessageId();
        await world.DoctorDevice.SendTextAsync(world.Conversation, cipher, "après le nouveau consentement", after);

        Assert.Equal(terms.Version, consent.AcceptedTermsVersion);
        Assert.Null(consent.WithdrawnAtUnixMs);
        var first = Assert.Single(await patientClient.ReceiveAsync(1));
        Assert.Equal(after, first.MessageId);
        Assert.Equal("après le nouveau consentement", cipher.Open(first.Ciphertext));
        Assert.Contains((await world.DoctorDevice.GetConversationDevicesAsync(world.Conversation, Ct)).Devices, d => d.DeviceId == world.PatientDevice);
        Assert.Single(await Scenario.Api.GetConversationsAsync(patientToken, Ct));
        await Server.AssertAuditedAsync("consent.give", AuditOutcomes.Success, world.Patient.AccountId);
    }

    [Fact]
    public async Task GiveConsent_WrongTermsVersion_IsRefusedAndDeliveryStaysStopped()
    {
        var world = await ConversationWithPatientAsync();
        var patientToken = await Scenario.FreshTokenAsync(world.Patient, cancellationToken: Ct);
        await Scenario.Api.WithdrawConsentAsync(patientToken, Ct);

        var refused = await Http.CallAsync(HttpMethod.Post, Routes.Consent, patientToken, new GiveConsentRequest("1999-01"));

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Equal(ErrorCodes.ConsentRequired, refused.Code);
        Assert.NotNull((await Scenario.Api.GetConsentAsync(patientToken, Ct)).WithdrawnAtUnixMs);
        var devices = await world.DoctorDevice.GetConversationDevicesAsync(world.Conversation, Ct);
        Assert.DoesNotContain(devices.Devices, d => d.AccountId == world.Patient.AccountId);
    }

    [Fact]
    public async Task GiveConsent_ByStaff_IsRefused()
    {
        var doctor = await Scenario.MemberAsync();
        var terms = await Scenario.Api.GetTermsAsync(Ct);

        var give = await Http.CallAsync(HttpMethod.Post, Routes.Consent, await Scenario.FreshTokenAsync(doctor, cancellationToken: Ct), new GiveConsentRequest(terms.Version));
        var withdraw = await Http.CallAsync(HttpMethod.Delete, Routes.Consent, await Scenario.FreshTokenAsync(doctor, cancellationToken: Ct));

        Assert.NotEqual(HttpStatusCode.OK, give.Status);
        Assert.Equal(HttpStatusCode.Forbidden, withdraw.Status);
        await Server.AssertAuditedAsync("consent.withdraw", AuditOutcomes.Denied, doctor.AccountId, ErrorCodes.Forbidden);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// A doctor with two connected devices and a patient with one offline device, in one conversation (patient
    /// invited by the doctor, consenting at acceptance).
    /// </summary>
    private async Task<World> ConversationWithPatientAsync()
    {
        var doctor = await Scenario.MemberAsync();
        var patient = await Scenario.PatientAsync(inviter: doctor);
        var conversation = await Scenario.ConversationAsync(doctor, patient);
        var doctorDevice = await Scenario.DeviceAsync(doctor);
        var doctorOther = await Scenario.DeviceAsync(doctor);
        var patientDevice = await Scenario.RegisterDeviceAsync(patient);
        return new World(doctor, patient, conversation, doctorDevice, doctorOther, patientDevice.DeviceId);
    }

    private async Task<IReadOnlyList<QueuedCopy>> QueueAsync(Guid deviceId) =>
        await Server.Get<IMessageStore>().ReadQueueAsync(deviceId, null, 100, DateTimeOffset.UtcNow, Ct);

    private sealed record World(
        TestPerson Doctor, TestPerson Patient, Guid Conversation, MessagingClient DoctorDevice, MessagingClient DoctorOther, Guid PatientDevice);
}
