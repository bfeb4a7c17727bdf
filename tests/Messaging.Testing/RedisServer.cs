using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Messaging.Testing;

/// <summary>
/// A real Redis (Debian's <c>redis-server</c>) on a free loopback port, with nothing written to disk, for the SignalR
/// backplane of multi-node tests. Killed on dispose. A missing binary fails the test: CI installs it (.ci/run).
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    public const string Executable = "/usr/bin/redis-server";

    private readonly StringBuilder output = new();
    private readonly string? password;
    private Process? process;

    private RedisServer(int port, string? password)
    {
        Port = port;
        this.password = password;
    }

    public int Port { get; }

    /// <summary>The redis-server process, while it runs (the benchmark reads its CPU time).</summary>
    public int? ProcessId => process is { HasExited: false } running ? running.Id : null;

    /// <summary>The StackExchange.Redis configuration string for this server (with its password, if it has one).</summary>
    public string ConnectionString => password is null ? $"127.0.0.1:{Port}" : $"127.0.0.1:{Port},password={password}";

    /// <summary>Everything the server wrote to standard output and error.</summary>
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

    /// <param name="password">When given, clients must authenticate with it (<c>requirepass</c>).</param>
    public static async Task<RedisServer> StartAsync(string? password = null)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException(
                $"{Executable} is missing: install Debian's redis-server (apt-get install -y redis-server), as .ci/run does.");
        }

        var server = new RedisServer(FreePort.Next(), password);
        try
        {
            await server.RunAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Kills the server, as a crash or a lost network would: its clients' connections drop.</summary>
    public async Task KillAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Starts the server again on the same port with the same password (and, like any restart, empty).</summary>
    public async Task RestartAsync()
    {
        await KillAsync();
        await RunAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        process?.Dispose();
    }

    private async Task RunAsync()
    {
        var start = new ProcessStartInfo(Executable)
        {
            // No persistence, loopback only, in the foreground; the empty string after --save turns snapshots off.
            ArgumentList = { "--port", $"{Port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (password is not null)
        {
            // On the command line of a throwaway test server only; a production password belongs in redis.conf.
            start.ArgumentList.Add("--requirepass");
            start.ArgumentList.Add(password);
        }

        process?.Dispose();
        process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await Eventually.WaitAsync(AnswersPingAsync, "redis-server to answer PING", TimeSpan.FromSeconds(20));
    }

    private async Task<bool> AnswersPingAsync()
    {
        if (process is not { HasExited: false })
        {
            throw new InvalidOperationException($"redis-server exited with code {process?.ExitCode}:\n{Output}");
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
            var stream = client.GetStream();
            // RESP inline commands; with a password, AUTH first (its +OK and PING's +PONG come back in order).
            var commands = password is null ? "PING\r\n" : $"AUTH {password}\r\nPING\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(commands), timeout.Token);
            var answer = new StringBuilder();
            var buffer = new byte[64];
            while (!answer.ToString().Contains("+PONG", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0 || answer.Length > 1024)
                {
                    return false;
                }

                answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            return true;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
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
