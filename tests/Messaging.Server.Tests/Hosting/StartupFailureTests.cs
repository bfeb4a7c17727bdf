using System.Diagnostics;
using Messaging.Testing;

namespace Messaging.Server.Tests.Hosting;

/// <summary>
/// A server that cannot start (the server process, as an operator or a service manager runs it), or its
/// <c>create-operator</c> command, exits with 1 and says why, in its structured log or in one line, instead of the
/// runtime's abort (exit 134) with a stack dump; and it changes nothing on the way out.
/// </summary>
public sealed class StartupFailureTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Start_OnADataFileThatIsNotADatabase_ExitsWithOneLogsWhyAndLeavesTheFileAsItWas()
    {
        using var data = new TempDirectory();
        var (file, garbage) = await NotADatabaseAsync(data);
        await using var server = new ServerProcess(data);

        await Assert.ThrowsAsync<InvalidOperationException>(server.StartAsync);

        Assert.Equal(1, await server.WaitForExitAsync(ExitTimeout));
        var failure = Assert.Single(server.Output.Split('\n'), line => line.Contains("\"Message\":\"Hosting failed to start\"", StringComparison.Ordinal));
        Assert.Contains("\"LogLevel\":\"Error\"", failure, StringComparison.Ordinal);
        Assert.Contains("file is not a database", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", server.Output, StringComparison.Ordinal);
        Assert.Equal(garbage, await File.ReadAllBytesAsync(file));
    }

    [Fact]
    public async Task CreateOperator_OnADataFileThatIsNotADatabase_ExitsWithOneAndSaysWhyInOneLine()
    {
        using var data = new TempDirectory();
        var (file, garbage) = await NotADatabaseAsync(data);
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { RepositoryPaths.ServerAssembly, "create-operator", "--login", Scenario.UniqueLogin("operator") },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["Messaging__DataDirectory"] = data.Path },
        };
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteLineAsync(Scenario.Password);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(ExitTimeout);

        Assert.Equal(1, process.ExitCode);
        Assert.Equal("The command failed: SQLite Error 26: 'file is not a database'.", error.Trim());
        Assert.DoesNotContain(Scenario.Password, await output + error, StringComparison.Ordinal);
        Assert.Equal(garbage, await File.ReadAllBytesAsync(file));
    }

    [Fact]
    public async Task Start_WithOneServerKeyOfThree_ExitsWithOneAndNamesTheMissingSettings()
    {
        using var data = new TempDirectory();
        await using var server = new ServerProcess(data, new Dictionary<string, string>
        {
            ["Messaging__Keys__TokenSigningKey"] = Convert.ToBase64String(new byte[32]),
        });

        await Assert.ThrowsAsync<InvalidOperationException>(server.StartAsync);

        Assert.Equal(1, await server.WaitForExitAsync(ExitTimeout));
        Assert.Contains(
            "The server could not start: Configure all three server keys or none; missing: Messaging:Keys:BlindIndexKey, Messaging:Keys:PersonalDataKey.",
            server.Output,
            StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", server.Output, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(data.Path));
    }

    /// <summary>Random bytes where the embedded store's file goes: SQLite reads them as "file is not a database".</summary>
    private static async Task<(string File, byte[] Bytes)> NotADatabaseAsync(TempDirectory data)
    {
        var file = Path.Combine(data.Path, "messaging.db");
        var garbage = new byte[8192];
        new Random(5).NextBytes(garbage);
        await File.WriteAllBytesAsync(file, garbage);
        return (file, garbage);
    }
}
