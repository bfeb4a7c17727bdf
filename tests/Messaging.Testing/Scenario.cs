using System.Collections.Concurrent;
using System.Diagnostics;
using Messaging.Client;
using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;

namespace Messaging.Testing;

/// <summary>
/// Intent methods over a running server (in-process or a separate process): people, devices and conversations made
/// through the real HTTP API and the real flows (operator, practice, invitations, second factors, emailed codes), and
/// clients that speak for a device.
/// </summary>
public sealed class Scenario : IAsyncDisposable
{
    public const string Password = "correct horse battery staple";

    /// <summary>Settings that lift the per-address rate limits (every test calls from 127.0.0.1); rate-limit tests set their own.</summary>
    public static readonly IReadOnlyDictionary<string, string?> GenerousLimits = new Dictionary<string, string?>
    {
        ["Messaging:RateLimits:SignInsPerMinute"] = "100000",
        ["Messaging:RateLimits:CodeChecksPerMinute"] = "100000",
        ["Messaging:RateLimits:InvitationsPerMinute"] = "100000",
        ["Messaging:RateLimits:PasswordResetsPerMinute"] = "100000",
    };

    private readonly List<MessagingClient> clients = [];
    private readonly ConcurrentDictionary<Guid, TestIdentity> identities = new();
    private readonly ConcurrentDictionary<Guid, TestPerson> inviters = new();
    private readonly HttpClient http;
    private readonly TimeProvider clock;
    private int people;

    private Scenario(Uri baseAddress, TestMailbox mailbox, TimeProvider clock)
    {
        BaseAddress = baseAddress;
        Mailbox = mailbox;
        this.clock = clock;
        http = new HttpClient { BaseAddress = baseAddress };
        Api = new MessagingApi(http);
    }

    public Uri BaseAddress { get; }

    public MessagingApi Api { get; }

    /// <summary>The emails the server wrote (its pickup folder).</summary>
    public TestMailbox Mailbox { get; }

    /// <summary>The platform operator, verified by TOTP.</summary>
    public TestPerson Operator { get; private set; } = null!;

    /// <summary>The default practice's first admin, verified by TOTP.</summary>
    public TestPerson Admin { get; private set; } = null!;

    /// <summary>The practice most tests work in.</summary>
    public Guid Practice { get; private set; }

    /// <summary>Fast reconnection for tests (the default waits up to 30 s between attempts).</summary>
    public static ReconnectBackoff FastBackoff { get; } = new(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(500));

    /// <summary>For an in-process server: the operator is created through the server's own account service.</summary>
    public static async Task<Scenario> StartAsync(TestServer server)
    {
        var login = UniqueLogin("operator");
        var outcome = await server.Services.GetRequiredService<AccountService>()
            .CreateAsync(Roles.Operator, login, Password, null, "fr", null, null, CancellationToken.None);
        if (outcome is not AccountService.CreateOutcome.Created)
        {
            throw new InvalidOperationException($"Could not create the operator: {outcome}");
        }

        var scenario = new Scenario(server.BaseAddress, new TestMailbox(Path.Combine(server.Data.Path, "mail-pickup")), server.Get<TimeProvider>());
        await scenario.BootstrapAsync(login);
        return scenario;
    }

    /// <summary>For a server process: the operator is created with the server's <c>create-operator</c> command.</summary>
    public static async Task<Scenario> StartAsync(ServerProcess server)
    {
        var login = UniqueLogin("operator");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { RepositoryPaths.ServerAssembly, "create-operator", "--login", login },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["Messaging__DataDirectory"] = server.Data.Path },
        };
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteLineAsync(Password);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"create-operator failed ({process.ExitCode}): {output}");
        }

        var scenario = new Scenario(server.BaseAddress, new TestMailbox(Path.Combine(server.Data.Path, "mail-pickup")), TimeProvider.System);
        await scenario.BootstrapAsync(login);
        return scenario;
    }

    public static string UniqueLogin(string prefix) => $"{prefix}-{Guid.NewGuid():N}@example.test";

    /// <summary>A new practice (created by the operator) with its first admin, verified.</summary>
    public async Task<(Guid Practice, TestPerson Admin)> PracticeAsync(string name = "Cabinet de test")
    {
        var created = await Api.CreatePracticeAsync(Operator.Token, new CreatePracticeRequest(name, null, null));
        var admin = await AcceptAsync(created.AdminInvitation.Token, created.PracticeId, Roles.Admin, UniqueLogin("admin"));
        await EnrolTotpAsync(admin);
        return (created.PracticeId, admin);
    }

    /// <summary>Staff invited by the practice's admin, signed in and verified by TOTP.</summary>
    public async Task<TestPerson> StaffAsync(string role = Roles.Doctor, Guid? practice = null, TestPerson? admin = null)
    {
        var practiceId = practice ?? Practice;
        admin ??= practiceId == Practice ? Admin : throw new ArgumentException("Give the admin of another practice.", nameof(admin));
        var invitation = await Api.InviteAsync(await FreshTokenAsync(admin), practiceId, new CreateInvitationRequest(role, null, null, null, null));
        var person = await AcceptAsync(invitation.Token, practiceId, role, UniqueLogin($"{role}{Interlocked.Increment(ref people)}"));
        await EnrolTotpAsync(person);
        return person;
    }

    /// <summary>A doctor of the default practice: the member most tests need.</summary>
    public Task<TestPerson> MemberAsync() => StaffAsync(Roles.Doctor);

    /// <summary>
    /// A patient invited by a secretary of the practice, who accepts the terms and signs in with the code emailed for a
    /// new device: their token may register devices.
    /// </summary>
    public async Task<TestPerson> PatientAsync(Guid? practice = null, TestPerson? inviter = null)
    {
        var practiceId = practice ?? Practice;
        inviter ??= await DefaultInviterAsync(practiceId);
        var login = UniqueLogin($"patient{Interlocked.Increment(ref people)}");
        var invitation = await Api.InviteAsync(await FreshTokenAsync(inviter), practiceId, new CreateInvitationRequest(Roles.Patient, login, "Patient Test", "+33600000000", null));
        var consent = await TermsVersionAsync();
        var accepted = await Api.AcceptInvitationAsync(new AcceptInvitationRequest(invitation.Token, login, Password, consent));
        var person = new TestPerson(login, Password, accepted.AccountId, practiceId, Roles.Patient);
        await FreshTokenAsync(person, newDevice: true);
        return person;
    }

    /// <summary>
    /// A verified account token for the person, reused while it has more than a minute left. Staff sign in again with a
    /// recovery code (TOTP codes work once per 30 s); patients with their password, plus an emailed code when
    /// <paramref name="newDevice"/>.
    /// </summary>
    public async Task<string> FreshTokenAsync(TestPerson person, bool newDevice = false, CancellationToken cancellationToken = default)
    {
        if (!newDevice && person.Token.Length > 0 && person.TokenExpiresAt - DateTimeOffset.UtcNow > TimeSpan.FromMinutes(1))
        {
            return person.Token;
        }

        var signedIn = await Api.SignInAsync(person.Login, person.Password, cancellationToken);
        TokenResponse token;
        if (person.IsPatient)
        {
            if (!newDevice)
            {
                return Keep(person, signedIn.AccessToken, signedIn.ExpiresAtUnixMs);
            }

            var before = Mailbox.To(person.Login).Count;
            await Api.SendEmailCodeAsync(signedIn.AccessToken, cancellationToken);
            var code = await Mailbox.LatestCodeAsync(person.Login, before + 1);
            token = await Api.VerifySecondFactorAsync(signedIn.AccessToken, SecondFactors.EmailCode, code, cancellationToken);
        }
        else
        {
            token = await Api.VerifySecondFactorAsync(signedIn.AccessToken, SecondFactors.RecoveryCode, person.RecoveryCodes.Dequeue(), cancellationToken);
        }

        return Keep(person, token.AccessToken, token.ExpiresAtUnixMs);
    }

    /// <summary>The current TOTP code of a staff member, at the server's clock.</summary>
    public string TotpCode(TestPerson person) =>
        new Totp(person.TotpSecret ?? throw new InvalidOperationException("No TOTP for this person.")).ComputeTotp(clock.GetUtcNow().UtcDateTime);

    /// <summary>Registers a device with a real, new identity, whose signing key the scenario keeps for session proofs.</summary>
    public Task<DeviceInfo> RegisterDeviceAsync(TestPerson person) => RegisterDeviceAsync(person, TestIdentities.NewIdentity());

    /// <summary>Registers a device with <paramref name="identity"/>, whose signing key the test keeps to sign prekeys.</summary>
    public async Task<DeviceInfo> RegisterDeviceAsync(TestPerson person, TestIdentity identity)
    {
        var token = person.IsPatient ? await FreshTokenAsync(person, newDevice: true) : await FreshTokenAsync(person);
        var device = await Api.RegisterDeviceAsync(token, new RegisterDeviceRequest(identity.Encoded));
        identities[device.DeviceId] = identity;
        return device;
    }

    /// <summary>A device-bound token for a device registered through this scenario (a new device session).</summary>
    public async Task<DeviceSessionResponse> DeviceSessionAsync(TestPerson person, Guid deviceId)
    {
        var challenge = await Api.CreateChallengeAsync();
        var signature = identities[deviceId].SignSessionChallenge(challenge.Challenge, deviceId);
        return await Api.CreateDeviceSessionAsync(await FreshTokenAsync(person), new DeviceSessionRequest(deviceId, challenge.Challenge, signature));
    }

    /// <summary>A client for a new device of <paramref name="person"/>; connected unless asked otherwise.</summary>
    public async Task<MessagingClient> DeviceAsync(TestPerson person, MessagingProtocol protocol = MessagingProtocol.Json, bool connect = true)
    {
        var device = await RegisterDeviceAsync(person);
        var client = ClientFor(person, device.DeviceId, protocol);
        if (connect)
        {
            await client.ConnectAsync(Timeout());
        }

        return client;
    }

    /// <summary>A client for an existing device (e.g. the same device after a restart): it opens a new session.</summary>
    public MessagingClient ClientFor(TestPerson person, Guid deviceId, MessagingProtocol protocol = MessagingProtocol.Json)
    {
        var client = new MessagingClient(new MessagingClientOptions
        {
            ServerUri = BaseAddress,
            Session = SessionFor(person, deviceId),
            DeviceId = deviceId,
            Protocol = protocol,
            ReconnectBackoff = FastBackoff,
            HubCallTimeout = TimeSpan.FromSeconds(60),
        });
        clients.Add(client);
        return client;
    }

    /// <summary>How a test device signs its session challenges and signs in again.</summary>
    public DeviceSessionOptions SessionFor(TestPerson person, Guid deviceId) => new()
    {
        SignChallenge = challenge => identities[deviceId].SignSessionChallenge(challenge, deviceId),
        SignIn = ct => FreshTokenAsync(person, cancellationToken: ct),
    };

    /// <summary>Two new doctors of the default practice and a conversation between them: the set-up most tests start from.</summary>
    public async Task<(TestPerson Alice, TestPerson Bob, Guid Conversation)> PairAsync()
    {
        var alice = await MemberAsync();
        var bob = await MemberAsync();
        return (alice, bob, await ConversationAsync(alice, bob));
    }

    /// <summary>A conversation opened by <paramref name="creator"/> in their practice.</summary>
    public async Task<Guid> ConversationAsync(TestPerson creator, params TestPerson[] others) =>
        (await Api.CreateConversationAsync(await FreshTokenAsync(creator), new CreateConversationRequest(creator.PracticeId, [.. others.Select(o => o.AccountId)]))).ConversationId;

    /// <summary>The terms version patients must accept.</summary>
    public async Task<string> TermsVersionAsync() => (await Api.GetTermsAsync()).Version;

    public static CancellationToken Timeout(int seconds = 30) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    public async ValueTask DisposeAsync()
    {
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        http.Dispose();
    }

    private async Task BootstrapAsync(string operatorLogin)
    {
        var signedIn = await Api.SignInAsync(operatorLogin, Password);
        Operator = new TestPerson(operatorLogin, Password, signedIn.AccountId, Guid.Empty, Roles.Operator);
        Keep(Operator, signedIn.AccessToken, signedIn.ExpiresAtUnixMs);
        await EnrolTotpAsync(Operator);
        (Practice, Admin) = await PracticeAsync();
    }

    private async Task<TestPerson> AcceptAsync(string invitationToken, Guid practiceId, string role, string login)
    {
        var accepted = await Api.AcceptInvitationAsync(new AcceptInvitationRequest(invitationToken, login, Password, null));
        var person = new TestPerson(login, Password, accepted.AccountId, practiceId, role);
        var signedIn = await Api.SignInAsync(login, Password);
        Keep(person, signedIn.AccessToken, signedIn.ExpiresAtUnixMs);
        return person;
    }

    /// <summary>Enrols TOTP from the person's password-only session: the answer is a verified token and recovery codes.</summary>
    private async Task EnrolTotpAsync(TestPerson person)
    {
        var enrolment = await Api.BeginTotpAsync(person.Token);
        person.TotpSecret = Base32Encoding.ToBytes(enrolment.Secret);
        var enrolled = await Api.ConfirmTotpAsync(person.Token, enrolment, TotpCode(person));
        foreach (var code in enrolled.RecoveryCodes)
        {
            person.RecoveryCodes.Enqueue(code);
        }

        Keep(person, enrolled.Token.AccessToken, enrolled.Token.ExpiresAtUnixMs);
    }

    /// <summary>The secretary who invites the practice's patients in tests (made on first use).</summary>
    private async Task<TestPerson> DefaultInviterAsync(Guid practiceId)
    {
        if (inviters.TryGetValue(practiceId, out var inviter))
        {
            return inviter;
        }

        var secretary = await StaffAsync(Roles.Secretary, practiceId);
        return inviters.GetOrAdd(practiceId, secretary);
    }

    private static string Keep(TestPerson person, string token, long expiresAtUnixMs)
    {
        person.Token = token;
        person.TokenExpiresAt = DateTimeOffset.FromUnixTimeMilliseconds(expiresAtUnixMs);
        return token;
    }
}
