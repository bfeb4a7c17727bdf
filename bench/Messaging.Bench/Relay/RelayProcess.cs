using System.Diagnostics;
using Messaging.Bench.Load;
using Messaging.Testing;

namespace Messaging.Bench.Relay;

/// <summary>The bare relay as a child process of the benchmark (this same program, <c>relay</c> command).</summary>
internal sealed class RelayProcess : IAsyncDisposable
{
    private readonly Process process;

    private RelayProcess(Process process, Uri baseAddress)
    {
        this.process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int ProcessId => process.Id;

    public static async Task<RelayProcess> StartAsync()
    {
        var baseAddress = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { typeof(RelayProcess).Assembly.Location, "relay", "--urls", baseAddress.ToString().TrimEnd('/') },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment = { [InlineSocketCompletions.Variable] = "0" },
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("The relay process did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var relay = new RelayProcess(process, baseAddress);
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.WaitAsync(async () =>
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The relay process exited with code {process.ExitCode}.");
            }

            try
            {
                return (await http.GetAsync(new Uri(RelayHost.HealthPath, UriKind.Relative))).IsSuccessStatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, "the relay to answer", TimeSpan.FromSeconds(30));
        return relay;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }
}
