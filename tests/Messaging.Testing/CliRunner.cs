using System.Diagnostics;

namespace Messaging.Testing;

/// <summary>Runs the `messaging` command-line client as its own process, as an operator would.</summary>
public sealed class CliRunner(string profileFolder, string password)
{
    public string ProfileFolder { get; } = profileFolder;

    public async Task<string> RunAsync(params string[] args) => (await RunAsync(args, null, 60)).Output;

    /// <summary>Starts the command; the caller awaits <see cref="Process.WaitForExitAsync(CancellationToken)"/> via the returned task.</summary>
    public async Task<(string Output, string Errors)> RunAsync(string[] args, IReadOnlyDictionary<string, string>? environment, int timeoutSeconds)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(RepositoryPaths.CliAssembly);
        start.ArgumentList.Add("--profile");
        start.ArgumentList.Add(ProfileFolder);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["MESSAGING_PASSWORD"] = password;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`messaging {string.Join(' ', args)}` did not finish in {timeoutSeconds} s: {await errors}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"`messaging {args[0]}` exited {process.ExitCode}: {await errors}{await output}");
        }

        return ((await output).Trim(), await errors);
    }
}
