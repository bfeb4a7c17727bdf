using System.Diagnostics;
using System.Text;

namespace Messaging.Testing;

/// <summary>
/// The server as a separate operating-system process, so that a test can kill it outright (SIGKILL) in the middle
/// of its work, as a crash or a power cut would, then start it again on the same data.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly StringBuilder output = new();
    private readonly Dictionary<string, string> environment;
    private Process? process;

    public ServerProcess(TempDirectory data, IReadOnlyDictionary<string, string>? environment = null)
    {
        Data = data;
        BaseAddress = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        this.environment = new Dictionary<string, string>(environment ?? new Dictionary<string, string>())
        {
            ["Messaging__DataDirectory"] = data.Path,
            ["Logging__LogLevel__Default"] = "Debug",
        };
        foreach (var (key, value) in Scenario.GenerousLimits)
        {
            this.environment.TryAdd(key.Replace(":", "__", StringComparison.Ordinal), value!);
        }
    }

    public Uri BaseAddress { get; }

    public TempDirectory Data { get; }

    /// <summary>The running process's id (for CPU and memory readings), or null while stopped.</summary>
    public int? ProcessId => process is { HasExited: false } running ? running.Id : null;

    /// <summary>Everything the process wrote to standard output and error, across its lives.</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { RepositoryPaths.ServerAssembly, "--urls", BaseAddress.ToString().TrimEnd('/') },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(RepositoryPaths.ServerAssembly)!,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        process = Process.Start(start) ?? throw new InvalidOperationException("The server process did not start.");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await WaitReadyAsync();
    }

    /// <summary>SIGKILL: no shutdown code runs, nothing is flushed by the server.</summary>
    public async Task KillAsync()
    {
        if (process is { HasExited: false } running)
        {
            running.Kill(entireProcessTree: true);
            await running.WaitForExitAsync();
        }

        process?.Dispose();
        process = null;
    }

    public async ValueTask DisposeAsync() => await KillAsync();

    /// <summary>
    /// For a process that ends on its own (a start that fails): its exit code, once everything it wrote has been read
    /// into <see cref="Output"/>.
    /// </summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        var running = process ?? throw new InvalidOperationException("The server process was not started.");
        using var deadline = new CancellationTokenSource(timeout);
        await running.WaitForExitAsync(deadline.Token);
        return running.ExitCode;
    }

    private async Task WaitReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.WaitAsync(async () =>
        {
            if (process is null || process.HasExited)
            {
                throw new InvalidOperationException($"The server process exited:\n{Output}");
            }

            try
            {
                return (await http.GetAsync(new Uri("/health/ready", UriKind.Relative))).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
            catch (TaskCanceledException)
            {
                return false;
            }
        }, "the server process to be ready", TimeSpan.FromSeconds(60));
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }
}
