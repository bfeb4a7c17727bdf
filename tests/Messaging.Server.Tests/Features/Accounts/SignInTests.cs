using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Client;
using Messaging.Contracts;
using Messaging.Server.Features.Audit;
using Messaging.Testing;
using MimeKit;
using OtpNet;

namespace Messaging.Server.Tests.Features.Accounts;

/// <summary>
/// Password sign-in and its lockout: failed passwords and failed codes count together; from the third failure (as
/// configured here) the account locks for a minute, doubling with each further failure; the person is emailed at the
/// first lock and told the count at the next sign-in. The server's clock is moved by hand.
/// </summary>
public sealed class SignInTests() : ServerTest(new Dictionary<string, string?> { ["Messaging:Accounts:FailuresBeforeLockout"] = "3" })
{
    [Fact]
    public async Task SignIn_ThirdWrongPassword_LocksWithRetryAfterAndRefusesTheRightPassword()
    {
        var alice = await Scenario.MemberAsync();

        var first = await SignInAsync(alice.Login, "not the right password");
        var second = await SignInAsync(alice.Login, "not the right password");
        var third = await SignInAsync(alice.Login, "not the right password");
        var right = await SignInAsync(alice.Login, alice.Password);

        Assert.Equal((HttpStatusCode.Unauthorized, ErrorCodes.InvalidCredentials), (first.Status, first.Code));
        Assert.Equal((HttpStatusCode.Unauthorized, ErrorCodes.InvalidCredentials), (second.Status, second.Code));
        Assert.Equal((HttpStatusCode.TooManyRequests, ErrorCodes.AccountLocked), (third.Status, third.Code));
        Assert.Equal(TimeSpan.FromMinutes(1), third.RetryAfter);
        Assert.Equal((HttpStatusCode.TooManyRequests, ErrorCodes.AccountLocked), (right.Status, right.Code));
        Assert.InRange(right.RetryAfter ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        await Server.AssertAuditedAsync("session.lockout", AuditOutcomes.Denied, alice.AccountId, ErrorCodes.AccountLocked);
    }

    [Fact]
    public async Task SignIn_FailureAfterTheLockEnds_LocksForTwiceAsLong()
    {
        var alice = await Scenario.MemberAsync();
        for (var i = 0; i < 3; i++)
        {
            await SignInAsync(alice.Login, "not the right password");
        }

        Clock.Advance(TimeSpan.FromSeconds(61));
        var fourth = await SignInAsync(alice.Login, "not the right password");
        Clock.Advance(TimeSpan.FromSeconds(61));
        var stillLocked = await SignInAsync(alice.Login, alice.Password);
        Clock.Advance(TimeSpan.FromSeconds(60));
        var unlocked = await SignInAsync(alice.Login, alice.Password);

        Assert.Equal((HttpStatusCode.TooManyRequests, ErrorCodes.AccountLocked), (fourth.Status, fourth.Code));
        Assert.Equal(TimeSpan.FromMinutes(2), fourth.RetryAfter);
        Assert.Equal((HttpStatusCode.TooManyRequests, ErrorCodes.AccountLocked), (stillLocked.Status, stillLocked.Code));
        Assert.Equal(HttpStatusCode.OK, unlocked.Status);
    }

    [Fact]
    public async Task SignIn_AfterTheLockEnds_SucceedsAndReportsTheFailedAttemptsUntilTheSignInCompletes()
    {
        var alice = await Scenario.MemberAsync();
        for (var i = 0; i < 3; i++)
        {
            await SignInAsync(alice.Login, "not the right password");
        }

        Clock.Advance(TimeSpan.FromSeconds(61));
        await SignInAsync(alice.Login, "not the right password");
        var lastFailure = Clock.GetUtcNow();
        Clock.Advance(TimeSpan.FromSeconds(121));

        var signedIn = await Scenario.Api.SignInAsync(alice.Login, alice.Password, Ct);
        var again = await Scenario.Api.SignInAsync(alice.Login, alice.Password, Ct);
        await Scenario.Api.VerifySecondFactorAsync(again.AccessToken, SecondFactors.RecoveryCode, alice.RecoveryCodes.Dequeue(), Ct);
        var next = await Scenario.Api.SignInAsync(alice.Login, alice.Password, Ct);

        Assert.Equal(SignInStates.Required, signedIn.SecondFactor);
        Assert.Equal(4, signedIn.FailedAttemptsSinceLastSignIn);
        Assert.Equal(lastFailure.ToUnixTimeMilliseconds(), signedIn.LastFailedAttemptAtUnixMs);
        Assert.Equal(4, again.FailedAttemptsSinceLastSignIn);
        Assert.Equal(0, next.FailedAttemptsSinceLastSignIn);
        Assert.Null(next.LastFailedAttemptAtUnixMs);
    }

    [Fact]
    public async Task SignIn_PatientLocked_GetsOneSuspiciousSignInEmailWithoutNames()
    {
        var (practice, admin) = await Scenario.PracticeAsync("Cabinet Dr Morel");
        var doctor = await Scenario.StaffAsync(Roles.Doctor, practice, admin);
        var patient = await Scenario.PatientAsync(practice, doctor);
        var before = Scenario.Mailbox.To(patient.Login).Count;

        for (var i = 0; i < 2; i++)
        {
            await SignInAsync(patient.Login, "not the right password");
        }

        Assert.Equal(before, Scenario.Mailbox.To(patient.Login).Count);
        var locked = await SignInAsync(patient.Login, "not the right password");
        Assert.Equal(ErrorCodes.AccountLocked, locked.Code);
        await Eventually.WaitAsync(() => Scenario.Mailbox.To(patient.Login).Count == before + 1, "the suspicious sign-in email");
        Clock.Advance(TimeSpan.FromSeconds(61));
        var lockedAgain = await SignInAsync(patient.Login, "not the right password");

        Assert.Equal(ErrorCodes.AccountLocked, lockedAgain.Code);
        var mails = Scenario.Mailbox.To(patient.Login);
        Assert.Equal(before + 1, mails.Count);
        var text = MailText(mails[^1]);
        Assert.Contains("verrouillé", text, StringComparison.Ordinal);
        foreach (var secret in new[] { "Patient Test", "Cabinet Dr Morel", doctor.Login, patient.Password })
        {
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task VerifySecondFactor_WrongTotpCodes_CountTowardsTheSameLockout()
    {
        var alice = await Scenario.MemberAsync();
        Clock.Advance(TimeSpan.FromSeconds(30));
        var signedIn = await Scenario.Api.SignInAsync(alice.Login, alice.Password, Ct);
        var wrong = AccountTestKit.WrongTotpCode(alice.TotpSecret!, Clock.GetUtcNow());

        var first = await VerifyAsync(signedIn.AccessToken, SecondFactors.Totp, wrong);
        var second = await VerifyAsync(signedIn.AccessToken, SecondFactors.Totp, wrong);
        var third = await VerifyAsync(signedIn.AccessToken, SecondFactors.Totp, wrong);
        var rightCode = await VerifyAsync(signedIn.AccessToken, SecondFactors.Totp, Scenario.TotpCode(alice));
        var password = await SignInAsync(alice.Login, alice.Password);

        Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.InvalidCode), (first.Status, first.Code));
        Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.InvalidCode), (second.Status, second.Code));
        Assert.Equal((HttpStatusCode.TooManyRequests, ErrorCodes.AccountLocked), (third.Status, third.Code));
        Assert.NotNull(third.RetryAfter);
        Assert.Equal((HttpStatusCode.TooManyRequests, ErrorCodes.AccountLocked), (rightCode.Status, rightCode.Code));
        Assert.Equal((HttpStatusCode.TooManyRequests, ErrorCodes.AccountLocked), (password.Status, password.Code));
    }

    [Fact]
    public async Task VerifySecondFactor_WrongPasswordsThenWrongCode_LockTogether()
    {
        var alice = await Scenario.MemberAsync();
        var signedIn = await Scenario.Api.SignInAsync(alice.Login, alice.Password, Ct);
        await SignInAsync(alice.Login, "not the right password");
        await SignInAsync(alice.Login, "not the right password");

        var code = await VerifyAsync(signedIn.AccessToken, SecondFactors.RecoveryCode, "aaaaa-aaaaa");

        Assert.Equal((HttpStatusCode.TooManyRequests, ErrorCodes.AccountLocked), (code.Status, code.Code));
    }

    /// <summary>
    /// A right password is only half a staff sign-in: it must not wipe the count of wrong codes, or whoever holds the
    /// password could guess TOTP codes forever, a few at a time between two password sign-ins.
    /// </summary>
    [Fact]
    public async Task VerifySecondFactor_WrongCodesBetweenPasswordSignIns_StillLock()
    {
        var alice = await Scenario.MemberAsync();
        Clock.Advance(TimeSpan.FromSeconds(30));
        var wrong = AccountTestKit.WrongTotpCode(alice.TotpSecret!, Clock.GetUtcNow());
        var answers = new List<HttpAnswer>();

        for (var round = 0; round < 2; round++)
        {
            var signedIn = await Scenario.Api.SignInAsync(alice.Login, alice.Password, Ct);
            answers.Add(await VerifyAsync(signedIn.AccessToken, SecondFactors.Totp, wrong));
            answers.Add(await VerifyAsync(signedIn.AccessToken, SecondFactors.Totp, wrong));
        }

        Assert.Equal([ErrorCodes.InvalidCode, ErrorCodes.InvalidCode], answers[..2].Select(a => a.Code));
        Assert.Equal(ErrorCodes.AccountLocked, answers[2].Code);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string MailText(MimeMessage message) =>
        string.Join('\n', message.Headers.Select(h => h.Value)) + $"\n{message.TextBody}\n{message.HtmlBody}";

    private Task<HttpAnswer> SignInAsync(string login, string password) =>
        Http.CallAsync(HttpMethod.Post, Routes.Sessions, null, new LoginRequest(login, password));

    private Task<HttpAnswer> VerifyAsync(string token, string method, string code) =>
        Http.CallAsync(HttpMethod.Post, Routes.SecondFactor, token, new SecondFactorRequest(method, code));
}

/// <summary>An HTTP answer as the account tests read it: the status, the problem code, Retry-After and the body.</summary>
internal sealed record HttpAnswer(HttpStatusCode Status, string? Code, TimeSpan? RetryAfter, string Body)
{
    public T Read<T>() => JsonSerializer.Deserialize<T>(Body, JsonSerializerOptions.Web) ?? throw new InvalidOperationException("An empty body.");
}

/// <summary>
/// What the account tests share and the shared helpers lack: raw HTTP calls (the SDK does not show Retry-After),
/// audit look-ups, staff who have not enrolled a second factor yet, TOTP codes at a given time, and device sessions
/// refreshed with an identity the test keeps.
/// </summary>
internal static class AccountTestKit
{
    private const string ProblemTypePrefix = "urn:messaging:error:";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>One HTTP call, with a bearer token and a JSON body when given.</summary>
    public static async Task<HttpAnswer> CallAsync(this HttpClient Http, HttpMethod method, string route, string? token = null, object? body = null)
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

        using var response = await Http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        string? code = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
        {
            using var problem = JsonDocument.Parse(text);
            if (problem.RootElement.TryGetProperty("type", out var type) && type.GetString() is { } uri
                && uri.StartsWith(ProblemTypePrefix, StringComparison.Ordinal))
            {
                code = uri[ProblemTypePrefix.Length..];
            }
        }

        return new HttpAnswer(response.StatusCode, code, response.Headers.RetryAfter?.Delta, text);
    }

    /// <summary>The SDK call fails with <paramref name="code"/> (and <paramref name="status"/> when given).</summary>
    public static async Task<MessagingException> RefusedAsync(Func<Task> call, string code, int? status = null)
    {
        var error = await Assert.ThrowsAsync<MessagingException>(call);
        Assert.Equal(code, error.Code);
        if (status is { } expected)
        {
            Assert.Equal(expected, error.Status);
        }

        return error;
    }

    public static async Task<IReadOnlyList<AuditEvent>> AuditAsync(this TestServer Server) =>
        await Server.Get<IAuditLog>().ListRecentAsync(1000, Ct);

    public static async Task AssertAuditedAsync(this TestServer Server, string action, string outcome, Guid? accountId, string? reason = null)
    {
        var events = await Server.AuditAsync();
        Assert.True(
            events.Any(e => e.Action == action && e.Outcome == outcome && e.AccountId == accountId && (reason is null || e.Reason == reason)),
            $"No audit record {action} {outcome} {reason} for account {accountId}.");
    }

    /// <summary>The TOTP code of <paramref name="secret"/> at <paramref name="at"/>.</summary>
    public static string TotpCode(byte[] secret, DateTimeOffset at) => new Totp(secret).ComputeTotp(at.UtcDateTime);

    /// <summary>A well-formed code that no time step the server accepts at <paramref name="now"/> (one either side) matches.</summary>
    public static string WrongTotpCode(byte[] secret, DateTimeOffset now)
    {
        var valid = new[] { -30, 0, 30 }.Select(seconds => TotpCode(secret, now.AddSeconds(seconds))).ToHashSet();
        return Enumerable.Range(0, 10).Select(digit => new string((char)('0' + digit), 6)).First(code => !valid.Contains(code));
    }

    /// <summary>Staff invited by the default practice's admin (with an email address when given) and accepted, without a second factor.</summary>
    public static async Task<(Guid AccountId, string Login)> AcceptedStaffAsync(this Scenario Scenario, string role = Roles.Doctor, string? email = null)
    {
        var invitation = await Scenario.Api.InviteAsync(
            await Scenario.FreshTokenAsync(Scenario.Admin, cancellationToken: Ct), Scenario.Practice, new CreateInvitationRequest(role, email, null, null, null), Ct);
        var login = Scenario.UniqueLogin(role);
        var accepted = await Scenario.Api.AcceptInvitationAsync(new AcceptInvitationRequest(invitation.Token, login, Scenario.Password, null), cancellationToken: Ct);
        return (accepted.AccountId, login);
    }

    /// <summary>Enrols TOTP from <paramref name="token"/>'s session, with a code at <paramref name="now"/> (the server's clock).</summary>
    public static async Task<(byte[] Secret, SecondFactorEnrolled Enrolled)> EnrolTotpAsync(this Scenario Scenario, string token, DateTimeOffset now)
    {
        var enrolment = await Scenario.Api.BeginTotpAsync(token, Ct);
        var secret = Base32Encoding.ToBytes(enrolment.Secret);
        return (secret, await Scenario.Api.ConfirmTotpAsync(token, enrolment, TotpCode(secret, now), Ct));
    }

    /// <summary>A device registered through the scenario with an identity the test keeps (to refresh its sessions).</summary>
    public static async Task<(Guid DeviceId, TestIdentity Identity)> DeviceWithIdentityAsync(this Scenario Scenario, TestPerson person)
    {
        var identity = TestIdentities.NewIdentity();
        return ((await Scenario.RegisterDeviceAsync(person, identity)).DeviceId, identity);
    }

    /// <summary>A refresh with a fresh challenge signed by <paramref name="signer"/> for <paramref name="deviceId"/>.</summary>
    public static async Task<DeviceSessionResponse> RefreshAsync(this Scenario Scenario, Guid deviceId, string refreshToken, TestIdentity signer)
    {
        var challenge = await Scenario.Api.CreateChallengeAsync(Ct);
        return await Scenario.Api.RefreshAsync(
            new RefreshRequest(deviceId, refreshToken, challenge.Challenge, signer.SignSessionChallenge(challenge.Challenge, deviceId)), Ct);
    }
}
