using Messaging.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Messaging.Testing;

/// <summary>
/// The real server on real Kestrel, bound to loopback, with a real SQLite file in a temp folder. It can be stopped
/// and started again on the same address and data, as after a restart.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly Dictionary<string, string?> settings;
    private readonly TimeProvider? time;
    private readonly bool ownsData;
    private WebApplication? app;

    private TestServer(Dictionary<string, string?> settings, TimeProvider? time, TempDirectory? data)
    {
        this.settings = settings;
        this.time = time;
        ownsData = data is null;
        Data = data ?? new TempDirectory();
        var port = FreePort.Next();
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri BaseAddress { get; }

    public TempDirectory Data { get; }

    public LogCapture Logs { get; } = new();

    public IServiceProvider Services => app?.Services ?? throw new InvalidOperationException("The server is stopped.");

    /// <summary>Starts a server; <paramref name="settings"/> are configuration keys such as <c>Messaging:Delivery:MaxCopyBytes</c>.</summary>
    public static async Task<TestServer> StartAsync(
        IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? time = null, TempDirectory? data = null)
    {
        var server = new TestServer(new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()), time, data);
        await server.StartAsync();
        return server;
    }

    public async Task StartAsync()
    {
        if (app is not null)
        {
            throw new InvalidOperationException("Already started.");
        }

        var all = new Dictionary<string, string?>
        {
            ["Messaging:DataDirectory"] = Data.Path,
            // Everything is logged in tests, so that the log scans see what the most verbose operator would see.
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
        };
        foreach (var (key, value) in Scenario.GenerousLimits)
        {
            all[key] = value;
        }

        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        app = ServerHost.Build(["--urls", BaseAddress.ToString().TrimEnd('/')], builder =>
        {
            builder.Configuration.AddInMemoryCollection(all);
            builder.Logging.AddProvider(Logs);
            if (time is not null)
            {
                builder.Services.AddSingleton(time);
            }
        });
        await app.StartAsync();
    }

    public async Task StopAsync()
    {
        if (app is { } running)
        {
            app = null;
            await running.StopAsync();
            await running.DisposeAsync();
        }
    }

    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAsync();
    }

    public T Get<T>()
        where T : notnull => Services.GetRequiredService<T>();

    /// <summary>The copies waiting in a device's queue on the server (read from the store, up to 1,000).</summary>
    public async Task<int> QueuedCopiesAsync(Guid deviceId) =>
        (await Get<Messaging.Server.Features.Delivery.IMessageStore>().ReadQueueAsync(
            deviceId, null, 1000, Get<TimeProvider>().GetUtcNow(), CancellationToken.None)).Count;

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (ownsData)
        {
            Data.Dispose();
        }
    }
}
