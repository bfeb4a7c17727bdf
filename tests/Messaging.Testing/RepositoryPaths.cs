namespace Messaging.Testing;

/// <summary>Finds files of the repository from a test's output folder.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The server's own build output (same configuration as the tests), for running it as a separate process.</summary>
    public static string ServerAssembly
    {
        get
        {
            // The test runs from tests/<project>/bin/<configuration>/net10.0/.
            return BuildOutput(Path.Combine("server", "Messaging.Server"), "Messaging.Server.dll");
        }
    }

    /// <summary>The `messaging` command-line client's build output (same configuration as the tests).</summary>
    public static string CliAssembly => BuildOutput(Path.Combine("clients", "dotnet", "Messaging.Cli"), "messaging.dll");

    private static string BuildOutput(string project, string assembly)
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var path = Path.Combine(Root, project, "bin", configuration, "net10.0", assembly);
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build {project} first.", path);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Messaging.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Messaging.sln not found above the test folder.");
    }
}
