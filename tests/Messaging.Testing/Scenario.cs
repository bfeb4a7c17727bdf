using System.Diagnostics;
using Messaging.Client;
using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Testing;

/// <summary>A signed-up person: credentials and an account token.</summary>
public sealed record TestPerson(string Login, string Password, Guid AccountId, string Token);

/// <summary>
/// Intent methods over a running server (in-process or a separate process): create people, devices and
/// conversations through the real HTTP API, and clients that speak for a device.
/// </summary>
public sealed class Scenario : IAsyncDisposable
{
    public const string Password = "correct horse battery staple";

    private readonly List<MessagingClient> clients = [];
    private readonly HttpClient http;
    private int people;

    private Scenario(Uri baseAddress, TestPerson admin)
    {
        BaseAddress = baseAddress;
        http = new HttpClient { BaseAddress = baseAddress };
        Api = new MessagingApi(http);
        Admin = admin;
    }

    public Uri BaseAddress { get; }

    public MessagingApi Api { get; }

    public TestPerson Admin { get; }

    /// <summary>Fast reconnection for tests (the default waits up to 30 s between attempts).</summary>
    public static ReconnectBackoff FastBackoff { get; } = new(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(500));

    /// <summary>For an in-process server: the first admin is created through the server's own account service.</summary>
    public static async Task<Scenario> StartAsync(TestServer server)
    {
        var login = UniqueLogin("admin");
        var outcome = await server.Services.GetRequiredService<AccountService>()
            .CreateAsync(new CreateAccountRequest(login, Password, Roles.Admin), null, CancellationToken.None);
        if (outcome is not AccountService.CreateOutcome.Created)
        {
            throw new InvalidOperationException($"Could not create the admin: {outcome}");
        }

        return await LoginAdminAsync(server.BaseAddress, login);
    }

    /// <summary>For a server process: the first admin is created with the server's <c>create-admin</c> command.</summary>
    public static async Task<Scenario> StartAsync(ServerProcess server)
    {
        var login = UniqueLogin("admin");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { RepositoryPaths.ServerAssembly, "create-admin", "--login", login },
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
            throw new InvalidOperationException($"create-admin failed ({process.ExitCode}): {output}");
        }

        return await LoginAdminAsync(server.BaseAddress, login);
    }

    public static string UniqueLogin(string prefix) => $"{prefix}-{Guid.NewGuid():N}@example.test";

    public async Task<TestPerson> MemberAsync(string? login = null)
    {
        login ??= UniqueLogin($"member{Interlocked.Increment(ref people)}");
        var created = await Api.CreateAccountAsync(Admin.Token, new CreateAccountRequest(login, Password, Roles.Member));
        var token = await Api.LoginAsync(login, Password);
        return new TestPerson(login, Password, created.AccountId, token.AccessToken);
    }

    /// <summary>Registers a device with a real, new identity (whose keys are then thrown away).</summary>
    public Task<DeviceInfo> RegisterDeviceAsync(TestPerson person) => RegisterDeviceAsync(person, TestIdentities.NewIdentity());

    /// <summary>Registers a device with <paramref name="identity"/>, whose signing key the test keeps to sign prekeys.</summary>
    public async Task<DeviceInfo> RegisterDeviceAsync(TestPerson person, TestIdentity identity) =>
        await Api.RegisterDeviceAsync(person.Token, new RegisterDeviceRequest(identity.Encoded));

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

    /// <summary>A client for an existing device (e.g. the same device after a restart).</summary>
    public MessagingClient ClientFor(TestPerson person, Guid deviceId, MessagingProtocol protocol = MessagingProtocol.Json)
    {
        var client = new MessagingClient(new MessagingClientOptions
        {
            ServerUri = BaseAddress,
            Login = person.Login,
            Password = person.Password,
            DeviceId = deviceId,
            Protocol = protocol,
            ReconnectBackoff = FastBackoff,
            HubCallTimeout = TimeSpan.FromSeconds(60),
        });
        clients.Add(client);
        return client;
    }

    /// <summary>Two new member accounts and a conversation between them: the set-up most tests start from.</summary>
    public async Task<(TestPerson Alice, TestPerson Bob, Guid Conversation)> PairAsync()
    {
        var alice = await MemberAsync();
        var bob = await MemberAsync();
        return (alice, bob, await ConversationAsync(alice, bob));
    }

    public async Task<Guid> ConversationAsync(TestPerson creator, params TestPerson[] others) =>
        (await Api.CreateConversationAsync(creator.Token, new CreateConversationRequest([.. others.Select(o => o.AccountId)]))).ConversationId;

    public static CancellationToken Timeout(int seconds = 30) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    public async ValueTask DisposeAsync()
    {
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        http.Dispose();
    }

    private static async Task<Scenario> LoginAdminAsync(Uri baseAddress, string login)
    {
        using var http = new HttpClient { BaseAddress = baseAddress };
        var token = await new MessagingApi(http).LoginAsync(login, Password);
        return new Scenario(baseAddress, new TestPerson(login, Password, token.AccountId, token.AccessToken));
    }
}
