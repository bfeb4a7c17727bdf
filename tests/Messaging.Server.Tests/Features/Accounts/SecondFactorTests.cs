using System.Net;
using Messaging.Contracts;
using Messaging.Server.Features.Audit;
using Messaging.Testing;

namespace Messaging.Server.Tests.Features.Accounts;

/// <summary>
/// Second factors through the real HTTP API: staff reach nothing before one; TOTP codes work once per time step;
/// recovery codes once each; a password alone never replaces a second factor; a patient's new device needs the code
/// emailed to them. The server's clock is moved by hand for the TOTP steps.
/// </summary>
// Wrong codes also count towards the lockout (SignInTests); here the codes themselves are under test, so it is far.
public sealed class SecondFactorTests() : ServerTest(new Dictionary<string, string?> { ["Messaging:Accounts:FailuresBeforeLockout"] = "50" })
{
    [Fact]
    public async Task SignIn_FreshlyAcceptedStaff_IsEnrolmentRequired()
    {
        var (accountId, login) = await Scenario.AcceptedStaffAsync();

        var signedIn = await Scenario.Api.SignInAsync(login, Scenario.Password, Ct);

        Assert.Equal(accountId, signedIn.AccountId);
        Assert.Equal(SignInStates.EnrolmentRequired, signedIn.SecondFactor);
        Assert.Contains(SecondFactors.Totp, signedIn.Methods);
    }

    [Fact]
    public async Task StaffWithoutSecondFactor_ProtectedRoutes_AreSecondFactorRequiredAndAudited()
    {
        var (accountId, login) = await Scenario.AcceptedStaffAsync();
        var token = (await Scenario.Api.SignInAsync(login, Scenario.Password, Ct)).AccessToken;

        var conversations = await Http.CallAsync(HttpMethod.Get, Routes.Conversations, token);
        var device = await Http.CallAsync(HttpMethod.Post, Routes.Devices, token, new RegisterDeviceRequest(TestIdentities.NewIdentity().Encoded));
        var session = await Http.CallAsync(HttpMethod.Post, Routes.DeviceSessions, token, new DeviceSessionRequest(Guid.NewGuid(), new byte[57], new byte[64]));
        var me = await Scenario.Api.GetCurrentAccountAsync(token, Ct);

        foreach (var refused in new[] { conversations, device, session })
        {
            Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.SecondFactorRequired), (refused.Status, refused.Code));
        }

        Assert.Equal(accountId, me.AccountId);
        Assert.Null(me.SecondFactor);
        var denials = (await Server.AuditAsync())
            .Where(e => e.AccountId == accountId && e.Outcome == AuditOutcomes.Denied && e.Reason == ErrorCodes.SecondFactorRequired)
            .Select(e => e.Target).ToList();
        Assert.Contains($"GET {Routes.Conversations}", denials);
        Assert.Contains($"POST {Routes.Devices}", denials);
        Assert.Contains($"POST {Routes.DeviceSessions}", denials);
    }

    [Fact]
    public async Task ConfirmTotp_StaffWithoutSecondFactor_GivesATokenThatOpensEverything()
    {
        var (accountId, login) = await Scenario.AcceptedStaffAsync();
        var passwordOnly = (await Scenario.Api.SignInAsync(login, Scenario.Password, Ct)).AccessToken;

        var (_, enrolled) = await Scenario.EnrolTotpAsync(passwordOnly, Clock.GetUtcNow());

        var token = enrolled.Token.AccessToken;
        Assert.Equal(10, enrolled.RecoveryCodes.Count);
        Assert.Equal(SecondFactors.Totp, (await Scenario.Api.GetCurrentAccountAsync(token, Ct)).SecondFactor);
        Assert.Empty(await Scenario.Api.GetConversationsAsync(token, Ct));
        var identity = TestIdentities.NewIdentity();
        var device = await Scenario.Api.RegisterDeviceAsync(token, new RegisterDeviceRequest(identity.Encoded), Ct);
        var challenge = await Scenario.Api.CreateChallengeAsync(Ct);
        var session = await Scenario.Api.CreateDeviceSessionAsync(
            token, new DeviceSessionRequest(device.DeviceId, challenge.Challenge, identity.SignSessionChallenge(challenge.Challenge, device.DeviceId)), Ct);
        Assert.Equal((accountId, device.DeviceId), (session.AccountId, session.DeviceId));
        var stillRefused = await Http.CallAsync(HttpMethod.Get, Routes.Conversations, passwordOnly);
        Assert.Equal(ErrorCodes.SecondFactorRequired, stillRefused.Code);
    }

    [Fact]
    public async Task SignIn_StaffWithTotp_IsRequiredWithTotpAndRecovery()
    {
        var alice = await Scenario.MemberAsync();

        var signedIn = await Scenario.Api.SignInAsync(alice.Login, alice.Password, Ct);

        Assert.Equal(SignInStates.Required, signedIn.SecondFactor);
        Assert.Contains(SecondFactors.Totp, signedIn.Methods);
        Assert.Contains(SecondFactors.RecoveryCode, signedIn.Methods);
        var refused = await Http.CallAsync(HttpMethod.Get, Routes.Conversations, signedIn.AccessToken);
        Assert.Equal(ErrorCodes.SecondFactorRequired, refused.Code);
    }

    [Fact]
    public async Task VerifyTotp_WrongThenRightCode_IsInvalidCodeThenVerified()
    {
        var alice = await Scenario.MemberAsync();
        Clock.Advance(TimeSpan.FromSeconds(30));
        var token = (await Scenario.Api.SignInAsync(alice.Login, alice.Password, Ct)).AccessToken;

        var wrong = await VerifyAsync(token, SecondFactors.Totp, AccountTestKit.WrongTotpCode(alice.TotpSecret!, Clock.GetUtcNow()));
        var right = await VerifyAsync(token, SecondFactors.Totp, Scenario.TotpCode(alice));

        Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.InvalidCode), (wrong.Status, wrong.Code));
        Assert.Equal(HttpStatusCode.OK, right.Status);
        var verified = right.Read<TokenResponse>().AccessToken;
        Assert.Equal(SecondFactors.Totp, (await Scenario.Api.GetCurrentAccountAsync(verified, Ct)).SecondFactor);
        Assert.Empty(await Scenario.Api.GetConversationsAsync(verified, Ct));
        await Server.AssertAuditedAsync("session.second-factor", AuditOutcomes.Denied, alice.AccountId, ErrorCodes.InvalidCode);
    }

    [Fact]
    public async Task VerifyTotp_SameCodeInTheSameStep_IsRefusedAndTheNextStepWorks()
    {
        var alice = await Scenario.MemberAsync();
        Clock.Advance(TimeSpan.FromSeconds(30));
        var code = Scenario.TotpCode(alice);

        var first = await VerifyAsync(await PasswordOnlyAsync(alice), SecondFactors.Totp, code);
        var replay = await VerifyAsync(await PasswordOnlyAsync(alice), SecondFactors.Totp, code);
        Clock.Advance(TimeSpan.FromSeconds(30));
        var next = await VerifyAsync(await PasswordOnlyAsync(alice), SecondFactors.Totp, Scenario.TotpCode(alice));

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.InvalidCode), (replay.Status, replay.Code));
        Assert.Equal(HttpStatusCode.OK, next.Status);
    }

    [Fact]
    public async Task VerifyTotp_CodeUsedAtEnrolment_IsRefusedInTheSameStep()
    {
        var (_, login) = await Scenario.AcceptedStaffAsync();
        var passwordOnly = (await Scenario.Api.SignInAsync(login, Scenario.Password, Ct)).AccessToken;
        var (secret, _) = await Scenario.EnrolTotpAsync(passwordOnly, Clock.GetUtcNow());

        var replay = await VerifyAsync((await Scenario.Api.SignInAsync(login, Scenario.Password, Ct)).AccessToken, SecondFactors.Totp, AccountTestKit.TotpCode(secret, Clock.GetUtcNow()));

        Assert.Equal(ErrorCodes.InvalidCode, replay.Code);
    }

    [Fact]
    public async Task VerifyRecoveryCode_EachCode_WorksOnce()
    {
        var alice = await Scenario.MemberAsync();
        var first = alice.RecoveryCodes.Dequeue();
        var second = alice.RecoveryCodes.Dequeue();

        var used = await VerifyAsync(await PasswordOnlyAsync(alice), SecondFactors.RecoveryCode, first);
        var again = await VerifyAsync(await PasswordOnlyAsync(alice), SecondFactors.RecoveryCode, first);
        var other = await VerifyAsync(await PasswordOnlyAsync(alice), SecondFactors.RecoveryCode, second.ToUpperInvariant());

        Assert.Equal(HttpStatusCode.OK, used.Status);
        Assert.Equal(SecondFactors.RecoveryCode, (await Scenario.Api.GetCurrentAccountAsync(used.Read<TokenResponse>().AccessToken, Ct)).SecondFactor);
        Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.InvalidCode), (again.Status, again.Code));
        Assert.Equal(HttpStatusCode.OK, other.Status);
    }

    [Fact]
    public async Task BeginTotp_PasswordOnlySessionWhenTotpExists_IsForbiddenAndKeepsTheTotp()
    {
        var alice = await Scenario.MemberAsync();
        var passwordOnly = await PasswordOnlyAsync(alice);

        var replace = await Http.CallAsync(HttpMethod.Post, Routes.Totp, passwordOnly);

        Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.SecondFactorRequired), (replace.Status, replace.Code));
        await Server.AssertAuditedAsync("mfa.totp.begin", AuditOutcomes.Denied, alice.AccountId, ErrorCodes.SecondFactorRequired);
        Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, (await VerifyAsync(passwordOnly, SecondFactors.Totp, Scenario.TotpCode(alice))).Status);
        var verified = await Scenario.FreshTokenAsync(alice, cancellationToken: Ct);
        Assert.Equal(HttpStatusCode.OK, (await Http.CallAsync(HttpMethod.Post, Routes.Totp, verified)).Status);
    }

    /// <summary>
    /// Starting a replacement must not drop the TOTP in use before the new one is confirmed: otherwise an abandoned
    /// replacement leaves the account without a second factor, and a password alone may then enrol the thief's.
    /// </summary>
    [Fact]
    public async Task BeginTotp_ReplacementNotConfirmed_KeepsTheCurrentTotpRequired()
    {
        var alice = await Scenario.MemberAsync();
        var verified = await Scenario.FreshTokenAsync(alice, cancellationToken: Ct);
        Assert.Equal(HttpStatusCode.OK, (await Http.CallAsync(HttpMethod.Post, Routes.Totp, verified)).Status);
        Clock.Advance(TimeSpan.FromSeconds(30));

        var signedIn = await Scenario.Api.SignInAsync(alice.Login, alice.Password, Ct);
        var takeover = await Http.CallAsync(HttpMethod.Post, Routes.Totp, signedIn.AccessToken);
        var current = await VerifyAsync(signedIn.AccessToken, SecondFactors.Totp, Scenario.TotpCode(alice));

        Assert.Equal(SignInStates.Required, signedIn.SecondFactor);
        Assert.Equal(ErrorCodes.SecondFactorRequired, takeover.Code);
        Assert.Equal(HttpStatusCode.OK, current.Status);
    }

    [Fact]
    public async Task RegisterDevice_PatientPasswordOnlySession_IsNewDeviceCodeRequiredAndAudited()
    {
        var patient = await Scenario.PatientAsync();
        var signedIn = await Scenario.Api.SignInAsync(patient.Login, patient.Password, Ct);

        var refused = await Http.CallAsync(HttpMethod.Post, Routes.Devices, signedIn.AccessToken, new RegisterDeviceRequest(TestIdentities.NewIdentity().Encoded));

        Assert.Equal(SignInStates.Satisfied, signedIn.SecondFactor);
        Assert.Contains(SecondFactors.EmailCode, signedIn.Methods);
        Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.NewDeviceCodeRequired), (refused.Status, refused.Code));
        Assert.Empty(await Scenario.Api.ListDevicesAsync(signedIn.AccessToken, Ct));
        await Server.AssertAuditedAsync("device.register", AuditOutcomes.Denied, patient.AccountId, ErrorCodes.NewDeviceCodeRequired);
    }

    [Fact]
    public async Task VerifyEmailCode_MailedCode_LetsThePatientRegisterADevice()
    {
        var patient = await Scenario.PatientAsync();
        var signedIn = await Scenario.Api.SignInAsync(patient.Login, patient.Password, Ct);
        var before = Scenario.Mailbox.To(patient.Login).Count;

        await Scenario.Api.SendEmailCodeAsync(signedIn.AccessToken, Ct);
        var code = await Scenario.Mailbox.LatestCodeAsync(patient.Login, before + 1);
        var verified = await Scenario.Api.VerifySecondFactorAsync(signedIn.AccessToken, SecondFactors.EmailCode, code, Ct);
        var device = await Scenario.Api.RegisterDeviceAsync(verified.AccessToken, new RegisterDeviceRequest(TestIdentities.NewIdentity().Encoded), Ct);

        Assert.Equal(patient.AccountId, device.AccountId);
        Assert.Equal(SecondFactors.EmailCode, (await Scenario.Api.GetCurrentAccountAsync(verified.AccessToken, Ct)).SecondFactor);
        var reused = await VerifyAsync(signedIn.AccessToken, SecondFactors.EmailCode, code);
        Assert.Equal(ErrorCodes.InvalidCode, reused.Code);
    }

    [Fact]
    public async Task VerifyEmailCode_FiveWrongCodes_DestroyTheCode()
    {
        var patient = await Scenario.PatientAsync();
        var token = (await Scenario.Api.SignInAsync(patient.Login, patient.Password, Ct)).AccessToken;
        var before = Scenario.Mailbox.To(patient.Login).Count;
        await Scenario.Api.SendEmailCodeAsync(token, Ct);
        var code = await Scenario.Mailbox.LatestCodeAsync(patient.Login, before + 1);
        var wrong = code == "000000" ? "111111" : "000000";

        var guesses = new List<HttpAnswer>();
        for (var i = 0; i < 5; i++)
        {
            guesses.Add(await VerifyAsync(token, SecondFactors.EmailCode, wrong));
        }

        var right = await VerifyAsync(token, SecondFactors.EmailCode, code);

        Assert.All(guesses, g => Assert.Equal(ErrorCodes.InvalidCode, g.Code));
        Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.InvalidCode), (right.Status, right.Code));
        await Scenario.Api.SendEmailCodeAsync(token, Ct);
        var fresh = await Scenario.Mailbox.LatestCodeAsync(patient.Login, before + 2);
        Assert.Equal(HttpStatusCode.OK, (await VerifyAsync(token, SecondFactors.EmailCode, fresh)).Status);
    }

    [Fact]
    public async Task VerifyEmailCode_FourWrongCodes_LeaveTheCodeUsable()
    {
        var patient = await Scenario.PatientAsync();
        var (token, code) = await EmailedCodeAsync(patient);
        var wrong = code == "000000" ? "111111" : "000000";

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(ErrorCodes.InvalidCode, (await VerifyAsync(token, SecondFactors.EmailCode, wrong)).Code);
        }

        Assert.Equal(HttpStatusCode.OK, (await VerifyAsync(token, SecondFactors.EmailCode, code)).Status);
    }

    [Fact]
    public async Task VerifyEmailCode_Expired_IsRefused()
    {
        var patient = await Scenario.PatientAsync();
        var (token, code) = await EmailedCodeAsync(patient);

        Clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));

        Assert.Equal(ErrorCodes.InvalidCode, (await VerifyAsync(token, SecondFactors.EmailCode, code)).Code);
    }

    [Fact]
    public async Task SendEmailCode_Email_HoldsTheCodeAndNoNameOrLogin()
    {
        var (practice, admin) = await Scenario.PracticeAsync("Cabinet Dr Morel");
        var doctor = await Scenario.StaffAsync(Roles.Doctor, practice, admin);
        var patient = await Scenario.PatientAsync(practice, doctor);
        var (token, code) = await EmailedCodeAsync(patient);


        var mail = Scenario.Mailbox.To(patient.Login)[^1];
        var text = string.Join('\n', mail.Headers.Select(h => h.Value)) + $"\n{mail.TextBody}\n{mail.HtmlBody}";
        Assert.Matches(@"^\d{6}$", code);
        Assert.Contains(code, mail.TextBody, StringComparison.Ordinal);
        Assert.Contains(code, mail.HtmlBody, StringComparison.Ordinal);
        foreach (var secret in new[] { "Patient Test", "Cabinet Dr Morel", doctor.Login, admin.Login })
        {
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task VerifyEmailCode_ByStaff_IsInvalidCode()
    {
        var alice = await Scenario.MemberAsync();

        var refused = await VerifyAsync(await PasswordOnlyAsync(alice), SecondFactors.EmailCode, "123456");
        var send = await Http.CallAsync(HttpMethod.Post, Routes.EmailCode, await PasswordOnlyAsync(alice));

        Assert.Equal(ErrorCodes.InvalidCode, refused.Code);
        Assert.Equal(HttpStatusCode.BadRequest, send.Status);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> PasswordOnlyAsync(TestPerson person) => (await Scenario.Api.SignInAsync(person.Login, person.Password, Ct)).AccessToken;

    private Task<HttpAnswer> VerifyAsync(string token, string method, string code) =>
        Http.CallAsync(HttpMethod.Post, Routes.SecondFactor, token, new SecondFactorRequest(method, code));

    /// <summary>The patient signs in with the password and asks for a new device's code: the token, and the code as mailed.</summary>
    private async Task<(string Token, string Code)> EmailedCodeAsync(TestPerson patient)
    {
        var token = (await Scenario.Api.SignInAsync(patient.Login, patient.Password, Ct)).AccessToken;
        var before = Scenario.Mailbox.To(patient.Login).Count;
        await Scenario.Api.SendEmailCodeAsync(token, Ct);
        return (token, await Scenario.Mailbox.LatestCodeAsync(patient.Login, before + 1));
    }
}
