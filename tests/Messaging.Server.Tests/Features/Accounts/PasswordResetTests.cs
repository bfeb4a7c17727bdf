using System.Net;
using Messaging.Contracts;
using Messaging.Server.Features.Audit;
using Messaging.Testing;

namespace Messaging.Server.Tests.Features.Accounts;

/// <summary>
/// Password reset by an emailed link: it changes the password and ends every device session, and nothing more (the
/// second factor stays); the link works once; an unknown login gets the same answer and no email.
/// </summary>
public sealed class PasswordResetTests : IAsyncLifetime
{
    private const string NewPassword = "a brand new and long passphrase";
    private readonly ManualTimeProvider clock = new();
    private TestServer server = null!;
    private Scenario scenario = null!;
    private HttpClient http = null!;

    public async ValueTask InitializeAsync()
    {
        server = await TestServer.StartAsync(time: clock);
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
    public async Task CompleteReset_WeakPassword_IsInvalidRequestAndKeepsTheLink()
    {
        var patient = await scenario.PatientAsync();
        var token = await RequestResetAsync(patient.Login, patient.Login);

        var weak = await CompleteAsync(token, "password1234");
        var strong = await CompleteAsync(token, NewPassword);

        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest), (weak.Status, weak.Code));
        Assert.Equal(HttpStatusCode.NoContent, strong.Status);
    }

    [Fact]
    public async Task CompleteReset_Patient_ChangesThePasswordAndEndsEveryDeviceSession()
    {
        var patient = await scenario.PatientAsync();
        var (deviceId, identity) = await scenario.DeviceWithIdentityAsync(patient);
        var (otherDeviceId, _) = await scenario.DeviceWithIdentityAsync(patient);
        var session = await scenario.DeviceSessionAsync(patient, deviceId);
        var other = await scenario.DeviceSessionAsync(patient, otherDeviceId);
        var token = await RequestResetAsync(patient.Login, patient.Login);

        var completed = await CompleteAsync(token, NewPassword);

        Assert.Equal(HttpStatusCode.NoContent, completed.Status);
        Assert.Equal(ErrorCodes.InvalidCredentials, (await SignInAsync(patient.Login, patient.Password)).Code);
        var signedIn = await SignInAsync(patient.Login, NewPassword);
        Assert.Equal(HttpStatusCode.OK, signedIn.Status);
        Assert.Equal(patient.AccountId, signedIn.Read<SignInResponse>().AccountId);
        Assert.Equal(HttpStatusCode.Unauthorized, (await StatusAsync(session.AccessToken, deviceId)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await StatusAsync(other.AccessToken, otherDeviceId)).Status);
        await AccountTestKit.RefusedAsync(() => scenario.RefreshAsync(deviceId, session.RefreshToken, identity), ErrorCodes.SessionEnded, 401);
        var newDevice = await http.CallAsync(
            HttpMethod.Post, Routes.Devices, signedIn.Read<SignInResponse>().AccessToken, new RegisterDeviceRequest(TestIdentities.NewIdentity().Encoded));
        Assert.Equal(ErrorCodes.NewDeviceCodeRequired, newDevice.Code);
        await server.AssertAuditedAsync("password.reset", AuditOutcomes.Success, patient.AccountId);
    }

    [Fact]
    public async Task CompleteReset_StaffInvitedWithAnEmail_KeepsTheSecondFactor()
    {
        var email = Scenario.UniqueLogin("dr.reset");
        var (accountId, login) = await scenario.AcceptedStaffAsync(Roles.Doctor, email);
        var passwordOnly = (await scenario.Api.SignInAsync(login, Scenario.Password, Ct)).AccessToken;
        var (secret, enrolled) = await scenario.EnrolTotpAsync(passwordOnly, clock.GetUtcNow());
        var verified = enrolled.Token.AccessToken;
        var identity = TestIdentities.NewIdentity();
        var device = await scenario.Api.RegisterDeviceAsync(verified, new RegisterDeviceRequest(identity.Encoded), Ct);
        var challenge = await scenario.Api.CreateChallengeAsync(Ct);
        var session = await scenario.Api.CreateDeviceSessionAsync(
            verified, new DeviceSessionRequest(device.DeviceId, challenge.Challenge, identity.SignSessionChallenge(challenge.Challenge, device.DeviceId)), Ct);
        var token = await RequestResetAsync(login, email);

        var completed = await CompleteAsync(token, NewPassword);

        Assert.Equal(HttpStatusCode.NoContent, completed.Status);
        Assert.Equal(ErrorCodes.InvalidCredentials, (await SignInAsync(login, Scenario.Password)).Code);
        var signedIn = (await SignInAsync(login, NewPassword)).Read<SignInResponse>();
        Assert.Equal(accountId, signedIn.AccountId);
        Assert.Equal(SignInStates.Required, signedIn.SecondFactor);
        Assert.Contains(SecondFactors.Totp, signedIn.Methods);
        Assert.Equal(ErrorCodes.SecondFactorRequired, (await http.CallAsync(HttpMethod.Get, Routes.Conversations, signedIn.AccessToken)).Code);
        Assert.Equal(ErrorCodes.SecondFactorRequired, (await http.CallAsync(HttpMethod.Post, Routes.Totp, signedIn.AccessToken)).Code);
        Assert.Equal(HttpStatusCode.Unauthorized, (await StatusAsync(session.AccessToken, device.DeviceId)).Status);
        clock.Advance(TimeSpan.FromSeconds(30));
        var totp = await http.CallAsync(
            HttpMethod.Post, Routes.SecondFactor, signedIn.AccessToken, new SecondFactorRequest(SecondFactors.Totp, AccountTestKit.TotpCode(secret, clock.GetUtcNow())));
        Assert.Equal(HttpStatusCode.OK, totp.Status);
    }

    [Fact]
    public async Task CompleteReset_SameLinkTwice_IsRefusedTheSecondTime()
    {
        var patient = await scenario.PatientAsync();
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
        var patient = await scenario.PatientAsync();
        var token = await RequestResetAsync(patient.Login, patient.Login);

        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        var late = await CompleteAsync(token, NewPassword);

        Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.InvalidCode), (late.Status, late.Code));
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(patient.Login, patient.Password)).Status);
    }

    [Fact]
    public async Task RequestReset_UnknownLogin_GetsTheSameAnswerAndNoEmail()
    {
        var patient = await scenario.PatientAsync();
        var unknown = Scenario.UniqueLogin("nobody");
        var mailsBefore = Directory.GetFiles(scenario.Mailbox.Folder, "*.eml").Length;

        var unknownAnswer = await http.CallAsync(HttpMethod.Post, Routes.PasswordReset, null, new PasswordResetRequest(unknown));
        var staffWithoutEmail = await http.CallAsync(HttpMethod.Post, Routes.PasswordReset, null, new PasswordResetRequest((await scenario.MemberAsync()).Login));
        var mailsAfterUnknown = Directory.GetFiles(scenario.Mailbox.Folder, "*.eml").Length;
        var knownAnswer = await http.CallAsync(HttpMethod.Post, Routes.PasswordReset, null, new PasswordResetRequest(patient.Login));

        Assert.Equal(HttpStatusCode.Accepted, unknownAnswer.Status);
        Assert.Equal(HttpStatusCode.Accepted, staffWithoutEmail.Status);
        Assert.Equal(HttpStatusCode.Accepted, knownAnswer.Status);
        Assert.Equal(knownAnswer.Body, unknownAnswer.Body);
        Assert.Equal(mailsBefore, mailsAfterUnknown);
        Assert.Empty(scenario.Mailbox.To(unknown));
        await Eventually.WaitAsync(() => Directory.GetFiles(scenario.Mailbox.Folder, "*.eml").Length == mailsBefore + 1, "the reset email to the known login");
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Asks for a reset of <paramref name="login"/> and reads the link's token in the email to <paramref name="address"/>.</summary>
    private async Task<string> RequestResetAsync(string login, string address)
    {
        var before = scenario.Mailbox.To(address).Count;
        await scenario.Api.RequestPasswordResetAsync(login, Ct);
        await Eventually.WaitAsync(() => scenario.Mailbox.To(address).Count == before + 1, "the password-reset email");
        var token = scenario.Mailbox.LatestLinkToken(address);
        Assert.False(string.IsNullOrEmpty(token));
        return token;
    }

    private Task<HttpAnswer> CompleteAsync(string token, string password) =>
        http.CallAsync(HttpMethod.Post, Routes.CompletePasswordReset, null, new CompletePasswordResetRequest(token, password));

    private Task<HttpAnswer> SignInAsync(string login, string password) =>
        http.CallAsync(HttpMethod.Post, Routes.Sessions, null, new LoginRequest(login, password));

    private Task<HttpAnswer> StatusAsync(string deviceToken, Guid deviceId) =>
        http.CallAsync(HttpMethod.Get, Routes.DevicePrekeyStatus(deviceId), deviceToken);
}
