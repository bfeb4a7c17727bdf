using Messaging.Testing;

namespace Messaging.Server.Tests;

/// <summary>
/// A test class's world, made before each test and disposed after it: a real server on loopback (on a manual clock
/// unless asked otherwise), the scenario over it (operator, practice, admin) and a plain HTTP client.
/// </summary>
public abstract class ServerTest(IReadOnlyDictionary<string, string?>? settings = null, bool manualClock = true) : IAsyncLifetime
{
    /// <summary>The server's clock (due times, TOTP steps, expiries); access tokens follow the real clock regardless.</summary>
    protected ManualTimeProvider Clock { get; } = new();

    protected TestServer Server { get; private set; } = null!;

    protected Scenario Scenario { get; private set; } = null!;

    protected HttpClient Http { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Server = await TestServer.StartAsync(settings, time: manualClock ? Clock : null);
        Scenario = await Scenario.StartAsync(Server);
        Http = new HttpClient { BaseAddress = Server.BaseAddress };
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Scenario.DisposeAsync();
        await Server.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
