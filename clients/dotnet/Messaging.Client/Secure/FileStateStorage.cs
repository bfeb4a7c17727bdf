namespace Messaging.Client.Secure;

/// <summary>
/// Where a device keeps its sealed state: named blobs in one folder, written atomically (temp file, flush, rename)
/// and readable by the owner only. Everything written here is already encrypted by the caller.
/// </summary>
public sealed class FileStateStorage
{
    private readonly string folder;

    public FileStateStorage(string folder)
    {
        this.folder = folder;
        CreateOwnerOnlyFolder(folder);
    }

    /// <summary>Creates a folder (and its parents) that only the owner may list, read or write.</summary>
    public static void CreateOwnerOnlyFolder(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public byte[]? Read(string name)
    {
        var path = PathOf(name);
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    public void Write(string name, ReadOnlySpan<byte> bytes) => WriteAtomically(PathOf(name), bytes);

    /// <summary>Removes a blob; nothing happens when there is none.</summary>
    public void Delete(string name) => File.Delete(PathOf(name));

    /// <summary>
    /// Replaces a file all at once (a temp file, flushed to disk, then renamed over it), readable by the owner only:
    /// a crash leaves either the old file or the new one, never half of one.
    /// </summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> bytes)
    {
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    private string PathOf(string name) => Path.Combine(folder, name + ".sealed");
}
