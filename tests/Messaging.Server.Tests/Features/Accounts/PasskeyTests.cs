using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Messaging.Client;
using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Accounts.SecondFactor;
using Messaging.Server.Features.Audit;
using Messaging.Testing;

namespace Messaging.Server.Tests.Features.Accounts;

/// <summary>
/// Passkeys as a second factor, through the real HTTP API of an in-process server, with a real software authenticator
/// (ES256 keys, real signatures) on the other side.
/// </summary>
public sealed partial class PasskeyTests : IAsyncLifetime
{
    private const string Password = "correct horse battery staple";
    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

    private readonly ManualTimeProvider clock = new();
    private readonly SoftwareAuthenticator authenticator = new();
    private TestServer server = null!;
    private HttpClient http = null!;
    private MessagingApi api = null!;

    public async ValueTask InitializeAsync()
    {
        server = await TestServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["Messaging:Passkeys:RelyingPartyId"] = "localhost",
                ["Messaging:Passkeys:Origins:0"] = SoftwareAuthenticator.DefaultOrigin,
                ["Messaging:Accounts:FailuresBeforeLockout"] = "2",
            },
            time: clock);
        http = new HttpClient { BaseAddress = server.BaseAddress };
        api = new MessagingApi(http);
    }

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        authenticator.Dispose();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task CompleteRegistration_PasswordOnlySessionWithoutSecondFactor_GivesRecoveryCodesAndVerifiedToken()
    {
        var login = await CreateStaffAsync();
        var signIn = await api.SignInAsync(login, Password);
        Assert.Equal(SignInStates.EnrolmentRequired, signIn.SecondFactor);
        Assert.Contains(SecondFactors.Passkey, signIn.Methods);

        var options = await OkAsync<PasskeyOptionsResponse>(await PostAsync(Routes.PasskeyRegistrationOptions, signIn.AccessToken, null));
        var enrolled = await OkAsync<SecondFactorEnrolled>(
            await PostAsync(Routes.Passkeys, signIn.AccessToken, new RegisterPasskeyRequest(options.State, authenticator.Create(options.Options))));

        Assert.Equal(10, enrolled.RecoveryCodes.Count);
        var me = await api.GetCurrentAccountAsync(enrolled.Token.AccessToken);
        Assert.Equal(SecondFactors.Passkey, me.SecondFactor);
        Assert.Empty(await api.GetConversationsAsync(enrolled.Token.AccessToken));
    }

    [Fact]
    public async Task BeginRegistration_Options_NameTheAccountOpaquelyAndAskForUserVerification()
    {
        var login = await CreateStaffAsync();
        var signIn = await api.SignInAsync(login, Password);

        var options = await OkAsync<PasskeyOptionsResponse>(await PostAsync(Routes.PasskeyRegistrationOptions, signIn.AccessToken, null));

        var user = options.Options.GetProperty("user");
        var label = signIn.AccountId.ToString("N")[..8];
        Assert.Equal(label, user.GetProperty("name").GetString());
        Assert.Equal(label, user.GetProperty("displayName").GetString());
        Assert.DoesNotContain(login, options.Options.GetRawText(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("localhost", options.Options.GetProperty("rp").GetProperty("id").GetString());
        Assert.Equal("preferred", options.Options.GetProperty("authenticatorSelection").GetProperty("userVerification").GetString());
    }

    [Fact]
    public async Task CompleteAssertion_AfterPasswordSignIn_GivesTokenThatOpensVerifiedRoutes()
    {
        var (login, _) = await EnrolAsync();

        var signIn = await api.SignInAsync(login, Password);
        Assert.Equal(SignInStates.Required, signIn.SecondFactor);
        Assert.Contains(SecondFactors.Passkey, signIn.Methods);
        var refused = await Assert.ThrowsAsync<MessagingException>(() => api.GetConversationsAsync(signIn.AccessToken));
        Assert.Equal(ErrorCodes.SecondFactorRequired, refused.Code);

        var token = await OkAsync<TokenResponse>(await AssertAsync(signIn.AccessToken));

        Assert.Empty(await api.GetConversationsAsync(token.AccessToken));
        Assert.Equal(SecondFactors.Passkey, (await api.GetCurrentAccountAsync(token.AccessToken)).SecondFactor);
    }

    [Fact]
    public async Task CompleteAssertion_WrongOrigin_RefusedAndAudited()
    {
        var (login, accountId) = await EnrolAsync();
        var signIn = await api.SignInAsync(login, Password);

        await AssertProblemAsync(await AssertAsync(signIn.AccessToken, Tampering.WrongOrigin), HttpStatusCode.Forbidden, ErrorCodes.InvalidCode);

        AssertRefusedBecause("assertion", "InvalidAuthenticatorResponseOrigin");
        var events = await server.Get<IAuditLog>().ListRecentAsync(50, CancellationToken.None);
        Assert.Contains(events, e => e.Outcome == AuditOutcomes.Denied && e.AccountId == accountId
            && e.Action == "session.second-factor" && e.Target == SecondFactors.Passkey && e.Reason == ErrorCodes.InvalidCode);
    }

    [Fact]
    public async Task CompleteAssertion_WrongSignature_RefusedAndCountedUntilTheAccountLocks()
    {
        var (login, _) = await EnrolAsync();
        var signIn = await api.SignInAsync(login, Password);

        await AssertProblemAsync(await AssertAsync(signIn.AccessToken, Tampering.WrongSignature), HttpStatusCode.Forbidden, ErrorCodes.InvalidCode);
        AssertRefusedBecause("assertion", "InvalidSignature");
        using var locking = await AssertAsync(signIn.AccessToken, Tampering.WrongSignature);
        Assert.NotNull(locking.Headers.RetryAfter);
        await AssertProblemAsync(locking, (HttpStatusCode)429, ErrorCodes.AccountLocked);

        // Locked: even the right answer waits.
        await AssertProblemAsync(await AssertAsync(signIn.AccessToken), (HttpStatusCode)429, ErrorCodes.AccountLocked);
    }

    [Fact]
    public async Task CompleteAssertion_ReplayedCounter_Refused()
    {
        var (login, _) = await EnrolAsync();
        var signIn = await api.SignInAsync(login, Password);
        await OkAsync<TokenResponse>(await AssertAsync(signIn.AccessToken));

        await AssertProblemAsync(await AssertAsync(signIn.AccessToken, Tampering.ReplayedCounter), HttpStatusCode.Forbidden, ErrorCodes.InvalidCode);
        AssertRefusedBecause("assertion", "InvalidSignCount");
    }

    [Fact]
    public async Task CompleteAssertion_SameAnswerTwice_RefusedTheSecondTimeEvenWithoutCounter()
    {
        // Synced passkeys keep their counter at zero: only the single-use challenge stops a replayed answer.
        authenticator.CountsSignatures = false;
        var (login, _) = await EnrolAsync();
        var signIn = await api.SignInAsync(login, Password);
        var options = await OkAsync<PasskeyOptionsResponse>(await PostAsync(Routes.PasskeyAssertionOptions, signIn.AccessToken, null));
        var answer = new PasskeyAssertionRequest(options.State, authenticator.Get(options.Options));

        await OkAsync<TokenResponse>(await PostAsync(Routes.PasskeySecondFactor, signIn.AccessToken, answer));
        await AssertProblemAsync(await PostAsync(Routes.PasskeySecondFactor, signIn.AccessToken, answer), HttpStatusCode.Forbidden, ErrorCodes.InvalidCode);
        AssertRefusedBecause("assertion", "challenge-used");

        // A fresh challenge still works with a counter that stays at zero.
        await OkAsync<TokenResponse>(await AssertAsync(signIn.AccessToken));
    }

    [Fact]
    public async Task BeginAssertion_AccountWithoutPasskey_NotFound()
    {
        var login = await CreateStaffAsync();
        var signIn = await api.SignInAsync(login, Password);

        await AssertProblemAsync(await PostAsync(Routes.PasskeyAssertionOptions, signIn.AccessToken, null), HttpStatusCode.NotFound, ErrorCodes.NotFound);
    }

    [Fact]
    public async Task CompleteRegistration_WrongOrigin_RefusedAndNothingEnrolled()
    {
        var login = await CreateStaffAsync();
        var signIn = await api.SignInAsync(login, Password);
        var options = await OkAsync<PasskeyOptionsResponse>(await PostAsync(Routes.PasskeyRegistrationOptions, signIn.AccessToken, null));

        var attestation = authenticator.Create(options.Options, Tampering.WrongOrigin);

        await AssertProblemAsync(
            await PostAsync(Routes.Passkeys, signIn.AccessToken, new RegisterPasskeyRequest(options.State, attestation)), HttpStatusCode.Forbidden, ErrorCodes.InvalidCode);
        AssertRefusedBecause("registration", "InvalidAuthenticatorResponseOrigin");
        Assert.Equal(SignInStates.EnrolmentRequired, (await api.SignInAsync(login, Password)).SecondFactor);
    }

    [Fact]
    public async Task BeginRegistration_PasswordOnlySessionWhenPasskeyExists_SecondFactorRequired()
    {
        var (login, _) = await EnrolAsync();
        var signIn = await api.SignInAsync(login, Password);

        await AssertProblemAsync(
            await PostAsync(Routes.PasskeyRegistrationOptions, signIn.AccessToken, null), HttpStatusCode.Forbidden, ErrorCodes.SecondFactorRequired);
    }

    [Fact]
    public async Task CompleteRegistration_PasswordOnlySessionWithOptionsOfAVerifiedOne_SecondFactorRequired()
    {
        var (login, _) = await EnrolAsync();
        var signIn = await api.SignInAsync(login, Password);
        var verified = await OkAsync<TokenResponse>(await AssertAsync(signIn.AccessToken));
        var options = await OkAsync<PasskeyOptionsResponse>(await PostAsync(Routes.PasskeyRegistrationOptions, verified.AccessToken, null));
        using var thief = new SoftwareAuthenticator();

        var attempt = new RegisterPasskeyRequest(options.State, thief.Create(options.Options));

        await AssertProblemAsync(await PostAsync(Routes.Passkeys, signIn.AccessToken, attempt), HttpStatusCode.Forbidden, ErrorCodes.SecondFactorRequired);
    }

    [Fact]
    public async Task CompleteRegistration_SessionVerifiedByPasskey_AddsASecondPasskey()
    {
        var (login, _) = await EnrolAsync();
        var signIn = await api.SignInAsync(login, Password);
        var verified = await OkAsync<TokenResponse>(await AssertAsync(signIn.AccessToken));
        using var spare = new SoftwareAuthenticator();

        var options = await OkAsync<PasskeyOptionsResponse>(await PostAsync(Routes.PasskeyRegistrationOptions, verified.AccessToken, null));
        Assert.Single(options.Options.GetProperty("excludeCredentials").EnumerateArray());
        var enrolled = await OkAsync<SecondFactorEnrolled>(
            await PostAsync(Routes.Passkeys, verified.AccessToken, new RegisterPasskeyRequest(options.State, spare.Create(options.Options))));

        Assert.Empty(enrolled.RecoveryCodes);
        var again = await api.SignInAsync(login, Password);
        var assertion = await OkAsync<PasskeyOptionsResponse>(await PostAsync(Routes.PasskeyAssertionOptions, again.AccessToken, null));
        Assert.Equal(2, assertion.Options.GetProperty("allowCredentials").GetArrayLength());
        await OkAsync<TokenResponse>(
            await PostAsync(Routes.PasskeySecondFactor, again.AccessToken, new PasskeyAssertionRequest(assertion.State, spare.Get(assertion.Options))));
    }

    [Fact]
    public async Task CheckAssertion_AnyByteOfTheAnswerChanged_ReturnsFalse()
    {
        var (login, accountId) = await EnrolAsync();
        var signIn = await api.SignInAsync(login, Password);
        var options = await OkAsync<PasskeyOptionsResponse>(await PostAsync(Routes.PasskeyAssertionOptions, signIn.AccessToken, null));
        var answer = authenticator.Get(options.Options);
        var account = await server.Get<IAccountStore>().FindAsync(accountId, CancellationToken.None);
        var passkeys = server.Get<PasskeyService>();

        foreach (var field in new[] { "authenticatorData", "clientDataJSON", "signature", "userHandle" })
        {
            var original = Base64Url.DecodeFromChars(answer.GetProperty("response").GetProperty(field).GetString());
            foreach (var i in Signed(field, original))
            {
                var tampered = (byte[])original.Clone();
                tampered[i] ^= 0x01;
                Assert.False(await passkeys.CheckAssertionAsync(account!, options.State, WithResponseField(answer, field, tampered), CancellationToken.None), $"{field}[{i}]");
            }
        }

        Assert.True(await passkeys.CheckAssertionAsync(account!, options.State, answer, CancellationToken.None));
    }

    /// <summary>
    /// The positions that carry meaning. In the DER signature these are the bytes of r and s: Fido2 reads the two
    /// integers without checking the framing tags byte for byte, which is harmless (the same r and s verify the same).
    /// </summary>
    private static IEnumerable<int> Signed(string field, byte[] bytes)
    {
        if (field != "signature")
        {
            return Enumerable.Range(0, bytes.Length);
        }

        // SEQUENCE { INTEGER r, INTEGER s }: 30 len 02 rlen r... 02 slen s...
        var rLength = bytes[3];
        var sStart = 4 + rLength + 2;
        return Enumerable.Range(4, rLength).Concat(Enumerable.Range(sStart, bytes[sStart - 1]));
    }

    private static JsonElement WithResponseField(JsonElement answer, string field, byte[] value)
    {
        var node = JsonNode.Parse(answer.GetRawText())!;
        node["response"]![field] = Base64Url.EncodeToString(value);
        return JsonSerializer.SerializeToElement(node);
    }

    /// <summary>The server logged why (so that a refusal for another reason does not pass the test).</summary>
    private void AssertRefusedBecause(string ceremony, string reason)
    {
        var refusals = server.Logs.Lines.Where(l => l.Contains($"Passkey {ceremony} refused", StringComparison.Ordinal)).ToList();
        Assert.True(refusals.Any(l => l.Contains($": {reason} ", StringComparison.Ordinal)), string.Join('\n', refusals));
    }

    private async Task<string> CreateStaffAsync()
    {
        var login = $"staff-{Guid.NewGuid():N}@example.test";
        var outcome = await server.Get<AccountService>().CreateAsync(Roles.Staff, login, Password, null, "fr", null, null, CancellationToken.None);
        Assert.IsType<AccountService.CreateOutcome.Created>(outcome);
        return login;
    }

    /// <summary>A staff account with a passkey on <see cref="authenticator"/>, enrolled from its first password session.</summary>
    private async Task<(string Login, Guid AccountId)> EnrolAsync()
    {
        var login = await CreateStaffAsync();
        var signIn = await api.SignInAsync(login, Password);
        var options = await OkAsync<PasskeyOptionsResponse>(await PostAsync(Routes.PasskeyRegistrationOptions, signIn.AccessToken, null));
        await OkAsync<SecondFactorEnrolled>(
            await PostAsync(Routes.Passkeys, signIn.AccessToken, new RegisterPasskeyRequest(options.State, authenticator.Create(options.Options))));
        return (login, signIn.AccountId);
    }

    /// <summary>Fresh assertion options, answered by <see cref="authenticator"/>, sent back for the session.</summary>
    private async Task<HttpResponseMessage> AssertAsync(string token, Tampering tampering = Tampering.None)
    {
        var options = await OkAsync<PasskeyOptionsResponse>(await PostAsync(Routes.PasskeyAssertionOptions, token, null));
        return await PostAsync(Routes.PasskeySecondFactor, token, new PasskeyAssertionRequest(options.State, authenticator.Get(options.Options, tampering)));
    }

    private async Task<HttpResponseMessage> PostAsync(string route, string token, object? body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(route, UriKind.Relative))
        {
            Content = body is null ? null : JsonContent.Create(body, body.GetType(), options: Json),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request);
    }

    private static async Task<T> OkAsync<T>(HttpResponseMessage response)
    {
        using (response)
        {
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            return (await response.Content.ReadFromJsonAsync<T>(Json))!;
        }
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        using (response)
        {
            Assert.Equal(status, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(ErrorCodes.TypeUri(code), problem.GetProperty("type").GetString());
        }
    }
}
