namespace Messaging.Testing;

/// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
        : this(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "messaging-tests", Guid.NewGuid().ToString("N")), create: true)
    {
    }

    private TempDirectory(string path, bool create)
    {
        Path = path;
        if (create)
        {
            Directory.CreateDirectory(path);
        }
    }

    public string Path { get; }

    /// <summary>A folder path that does not exist yet (the code under test creates it); deleted on dispose.</summary>
    public static TempDirectory NotCreated(string path) => new(path, create: false);

    /// <summary>Every byte of every file in the folder (the SQLite file, its WAL, the key file).</summary>
    public IEnumerable<(string File, byte[] Bytes)> ReadAllFiles() =>
        Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories).Select(f => (f, ReadShared(f)));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a dying process: the OS temp cleaner takes it.
        }
    }

    private static byte[] ReadShared(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
