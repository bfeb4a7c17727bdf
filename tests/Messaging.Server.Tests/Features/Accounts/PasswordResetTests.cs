using System.Net;
using Messaging.Contracts;
using Messaging.Server.Features.Audit;
using Messaging.Testing;

namespace Messaging.Server.Tests.Features.Accounts;

/// <summary>
/// Password reset by an emailed link: it changes the password and ends every device session, and nothing more (the
/// second factor stays); the link works once; an unknown login gets the same answer and no email.
/// </summary>
public sealed class PasswordResetTests() : ServerTest()
{
    private const string NewPassword = "a brand new and long passphrase";

    [Fact]
    public async Task CompleteReset_WeakPassword_IsInvalidRequestAndKeepsTheLink()
    {
        var patient = await Scenario.PatientAsync();
        var token = await RequestResetAsync(patient.Login, patient.Login);

        var weak = await CompleteAsync(token, "password1234");
        var strong = await CompleteAsync(token, NewPassword);

        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest), (weak.Status, weak.Code));
        Assert.Equal(HttpStatusCode.NoContent, strong.Status);
    }

    [Fact]
    public async Task CompleteReset_Patient_ChangesThePasswordAndEndsEveryDeviceSession()
    {
        var patient = await Scenario.PatientAsync();
        var (deviceId, identity) = await Scenario.DeviceWithIdentityAsync(patient);
        var (otherDeviceId, _) = await Scenario.DeviceWithIdentityAsync(patient);
        var session = await Scenario.DeviceSessionAsync(patient, deviceId);
        var other = await Scenario.DeviceSessionAsync(patient, otherDeviceId);
        var token = await RequestResetAsync(patient.Login, patient.Login);

        var completed = await CompleteAsync(token, NewPassword);

        Assert.Equal(HttpStatusCode.NoContent, completed.Status);
        Assert.Equal(ErrorCodes.InvalidCredentials, (await SignInAsync(patient.Login, patient.Password)).Code);
        var signedIn = await SignInAsync(patient.Login, NewPassword);
        Assert.Equal(HttpStatusCode.OK, signedIn.Status);
        Assert.Equal(patient.AccountId, signedIn.Read<SignInResponse>().AccountId);
        Assert.Equal(HttpStatusCode.Unauthorized, (await StatusAsync(session.AccessToken, deviceId)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await StatusAsync(other.AccessToken, otherDeviceId)).Status);
        await AccountTestKit.RefusedAsync(() => Scenario.RefreshAsync(deviceId, session.RefreshToken, identity), ErrorCodes.SessionEnded, 401);
        var newDevice = await Http.CallAsync(
            HttpMethod.Post, Routes.Devices, signedIn.Read<SignInResponse>().AccessToken, new RegisterDeviceRequest(TestIdentities.NewIdentity().Encoded));
        Assert.Equal(ErrorCodes.NewDeviceCodeRequired, newDevice.Code);
        await Server.AssertAuditedAsync("password.reset", AuditOutcomes.Success, patient.AccountId);
    }

    [Fact]
    public async Task CompleteReset_StaffInvitedWithAnEmail_KeepsTheSecondFactor()
    {
        var email = Scenario.UniqueLogin("dr.reset");
        var (accountId, login) = await Scenario.AcceptedStaffAsync(Roles.Doctor, email);
        var passwordOnly = (await Scenario.Api.SignInAsync(login, Scenario.Password, Ct)).AccessToken;
        var (secret, enrolled) = await Scenario.EnrolTotpAsync(passwordOnly, Clock.GetUtcNow());
        var verified = enrolled.Token.AccessToken;
        var identity = TestIdentities.NewIdentity();
        var device = await Scenario.Api.RegisterDeviceAsync(verified, new RegisterDeviceRequest(identity.Encoded), Ct);
        var challenge = await Scenario.Api.CreateChallengeAsync(Ct);
        var session = await Scenario.Api.CreateDeviceSessionAsync(
            verified, new DeviceSessionRequest(device.DeviceId, challenge.Challenge, identity.SignSessionChallenge(challenge.Challenge, device.DeviceId)), Ct);
        var token = await RequestResetAsync(login, email);

        var completed = await CompleteAsync(token, NewPassword);

        Assert.Equal(HttpStatusCode.NoContent, completed.Status);
        Assert.Equal(ErrorCodes.InvalidCredentials, (await SignInAsync(login, Scenario.Password)).Code);
        var signedIn = (await SignInAsync(login, NewPassword)).Read<SignInResponse>();
        Assert.Equal(accountId, signedIn.AccountId);
        Assert.Equal(SignInStates.Required, signedIn.SecondFactor);
        Assert.Contains(SecondFactors.Totp, signedIn.Methods);
        Assert.Equal(ErrorCodes.SecondFactorRequired, (await Http.CallAsync(HttpMethod.Get, Routes.Conversations, signedIn.AccessToken)).Code);
        Assert.Equal(ErrorCodes.SecondFactorRequired, (await Http.CallAsync(HttpMethod.Post, Routes.Totp, signedIn.AccessToken)).Code);
        Assert.Equal(HttpStatusCode.Unauthorized, (await StatusAsync(session.AccessToken, device.DeviceId)).Status);
        Clock.Advance(TimeSpan.FromSeconds(30));
        var totp = await Http.CallAsync(
            HttpMethod.Post, Routes.SecondFactor, signedIn.AccessToken, new SecondFactorRequest(SecondFactors.Totp, AccountTestKit.TotpCode(secret, Clock.GetUtcNow())));
        Assert.Equal(HttpStatusCode.OK, totp.Status);
    }

    [Fact]
    public async Task CompleteReset_SameLinkTwice_IsRefusedTheSecondTime()
    {
        var patient = await Scenario.PatientAsync();
        var token = await RequestResetAsync(patient.Login, patient.Login);
        Assert.Equal(HttpStatusCode.NoContent, (await CompleteAsync(token, NewPassword)).Status);

        var again = await CompleteAsync(token, "yet another long passphrase");

        Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.InvalidCode), (again.Status, again.Code));
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(patient.Login, NewPassword)).Status);
        Assert.Equal(ErrorCodes.InvalidCredentials, (await SignInAsync(patient.Login, "yet another long passphrase")).Code);
    }

    [Fact]
    public async Task CompleteReset_AfterAnHour_IsRefused()
    {
        var patient = await Scenario.PatientAsync();
        var token = await RequestResetAsync(patient.Login, patient.Login);

        Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        var late = await CompleteAsync(token, NewPassword);

        Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.InvalidCode), (late.Status, late.Code));
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(patient.Login, patient.Password)).Status);
    }

    [Fact]
    public async Task RequestReset_UnknownLogin_GetsTheSameAnswerAndNoEmail()
    {
        var patient = await Scenario.PatientAsync();
        var unknown = Scenario.UniqueLogin("nobody");
        var mailsBefore = Directory.GetFiles(Scenario.Mailbox.Folder, "*.eml").Length;

        var unknownAnswer = await Http.CallAsync(HttpMethod.Post, Routes.PasswordReset, null, new PasswordResetRequest(unknown));
        var staffWithoutEmail = await Http.CallAsync(HttpMethod.Post, Routes.PasswordReset, null, new PasswordResetRequest((await Scenario.MemberAsync()).Login));
        var mailsAfterUnknown = Directory.GetFiles(Scenario.Mailbox.Folder, "*.eml").Length;
        var knownAnswer = await Http.CallAsync(HttpMethod.Post, Routes.PasswordReset, null, new PasswordResetRequest(patient.Login));

        Assert.Equal(HttpStatusCode.Accepted, unknownAnswer.Status);
        Assert.Equal(HttpStatusCode.Accepted, staffWithoutEmail.Status);
        Assert.Equal(HttpStatusCode.Accepted, knownAnswer.Status);
        Assert.Equal(knownAnswer.Body, unknownAnswer.Body);
        Assert.Equal(mailsBefore, mailsAfterUnknown);
        Assert.Empty(Scenario.Mailbox.To(unknown));
        await Eventually.WaitAsync(() => Directory.GetFiles(Scenario.Mailbox.Folder, "*.eml").Length == mailsBefore + 1, "the reset email to the known login");
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Asks for a reset of <paramref name="login"/> and reads the link's token in the email to <paramref name="address"/>.</summary>
    private async Task<string> RequestResetAsync(string login, string address)
    {
        var before = Scenario.Mailbox.To(address).Count;
        await Scenario.Api.RequestPasswordResetAsync(login, Ct);
        await Eventually.WaitAsync(() => Scenario.Mailbox.To(address).Count == before + 1, "the password-reset email");
        var token = Scenario.Mailbox.LatestLinkToken(address);
        Assert.False(string.IsNullOrEmpty(token));
        return token;
    }

    private Task<HttpAnswer> CompleteAsync(string token, string password) =>
        Http.CallAsync(HttpMethod.Post, Routes.CompletePasswordReset, null, new CompletePasswordResetRequest(token, password));

    private Task<HttpAnswer> SignInAsync(string login, string password) =>
        Http.CallAsync(HttpMethod.Post, Routes.Sessions, null, new LoginRequest(login, password));

    private Task<HttpAnswer> StatusAsync(string deviceToken, Guid deviceId) =>
        Http.CallAsync(HttpMethod.Get, Routes.DevicePrekeyStatus(deviceId), deviceToken);
}
