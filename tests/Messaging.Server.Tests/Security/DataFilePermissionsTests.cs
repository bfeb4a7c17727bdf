using Messaging.Testing;

namespace Messaging.Server.Tests.Security;

/// <summary>The data folder, the database (with its WAL) and the key file are readable by the server's user only.</summary>
public sealed class DataFilePermissionsTests
{
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task FirstStart_DataFolderAndFiles_AreOwnerOnly()
    {
        using var parent = new TempDirectory();
        var folder = Path.Combine(parent.Path, "fresh-data");
        using var data = new TempDirectoryAt(folder);
        await using var server = await TestServer.StartAsync(data: data.Directory);
        await using var scenario = await Scenario.StartAsync(server);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        var files = Directory.GetFiles(folder);
        Assert.Contains(files, f => f.EndsWith("messaging.db", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith("server-keys.json", StringComparison.Ordinal));
        Assert.All(files, f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
    }

    /// <summary>A data folder that does not exist yet, so that the server creates it.</summary>
    private sealed class TempDirectoryAt(string path) : IDisposable
    {
        public TempDirectory Directory { get; } = TempDirectory.NotCreated(path);

        public void Dispose() => Directory.Dispose();
    }
}
