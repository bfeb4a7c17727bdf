using System.Security.Cryptography;
using System.Text.Json;

namespace Messaging.Server.Hosting;

/// <summary>
/// The server's own secrets: the access-token signing key, the blind-index key and the personal-data key. They never
/// live in the database. Given by configuration (required when several nodes share a store), or else generated on
/// first start into a key file readable only by the server's user.
/// </summary>
internal sealed class ServerKeys
{
    public const string FileName = "server-keys.json";
    private const int KeyBytes = 32;

    // Two processes starting at once on a key file of the previous version must add the same third key: the one that
    // holds this lock writes it, the other waits and then reads it.
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);

    private ServerKeys(byte[] tokenSigningKey, byte[] blindIndexKey, byte[] personalDataKey)
    {
        TokenSigningKey = tokenSigningKey;
        BlindIndexKey = blindIndexKey;
        PersonalDataKey = personalDataKey;
    }

    public byte[] TokenSigningKey { get; }

    public byte[] BlindIndexKey { get; }

    /// <summary>Encrypts what identifies a person (names, emails, phone numbers) at rest.</summary>
    public byte[] PersonalDataKey { get; }

    public static ServerKeys Load(KeyOptions options, string dataDirectory)
    {
        var signing = Decode(options.TokenSigningKey, nameof(options.TokenSigningKey));
        var index = Decode(options.BlindIndexKey, nameof(options.BlindIndexKey));
        var personal = Decode(options.PersonalDataKey, nameof(options.PersonalDataKey));
        if (signing is not null && index is not null && personal is not null)
        {
            return new ServerKeys(signing, index, personal);
        }

        // Some keys configured and others not would let each node generate its own of the missing ones: tokens, blind
        // indexes or sealed personal data would then differ between nodes sharing a store. All three, or none.
        if (signing is not null || index is not null || personal is not null)
        {
            var missing = new[] { (signing, nameof(options.TokenSigningKey)), (index, nameof(options.BlindIndexKey)), (personal, nameof(options.PersonalDataKey)) }
                .Where(k => k.Item1 is null).Select(k => $"Messaging:Keys:{k.Item2}");
            throw new InvalidOperationException($"Configure all three server keys or none; missing: {string.Join(", ", missing)}.");
        }

        return LoadOrCreateFile(Path.Combine(dataDirectory, FileName));
    }

    private static byte[]? Decode(string? base64, string name)
    {
        if (string.IsNullOrWhiteSpace(base64))
        {
            return null;
        }

        var bytes = new byte[KeyBytes + 1];
        return Convert.TryFromBase64String(base64.Trim(), bytes, out var written) && written == KeyBytes
            ? bytes[..KeyBytes]
            : throw new InvalidOperationException($"Messaging:Keys:{name} must be the base64 of {KeyBytes} bytes.");
    }

    private static ServerKeys LoadOrCreateFile(string path)
    {
        if (!File.Exists(path))
        {
            TryCreate(path, KeyFile.Generate());
        }

        var keys = Read(path);
        if (keys.PersonalDataKey is null)
        {
            keys = AddPersonalDataKey(path);
        }

        return new ServerKeys(
            keys.TokenSigningKey,
            keys.BlindIndexKey,
            keys.PersonalDataKey ?? throw new InvalidOperationException($"The key file {path} could not be given a personal-data key."));
    }

    /// <summary>
    /// Writes a complete file under a temporary name and renames it into place, under the same lock file as the
    /// upgrade, and only if no file is there yet: the first process keeps its keys, later ones read them, and no
    /// reader ever sees a half-written file. (File.Move without overwrite checks, then renames: not atomic on Unix.)
    /// </summary>
    private static void TryCreate(string path, KeyFile fresh)
    {
        OwnerOnlyFiles.CreateFolder(Path.GetDirectoryName(path)!);
        using (AcquireLock(path + ".lock"))
        {
            if (File.Exists(path))
            {
                return;
            }

            var temporary = WriteTemporary(path, fresh);
            try
            {
                File.Move(temporary, path, overwrite: true);
            }
            finally
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>A key file of the previous version has two keys: add the third, keeping the first two.</summary>
    private static KeyFile AddPersonalDataKey(string path)
    {
        using (AcquireLock(path + ".lock"))
        {
            // Read again under the lock: another process may have added the key while this one waited.
            var current = Read(path);
            if (current.PersonalDataKey is null)
            {
                var temporary = WriteTemporary(path, current with { PersonalDataKey = RandomNumberGenerator.GetBytes(KeyBytes) });
                try
                {
                    // A rename within one folder is atomic: readers see the old file or the new one, never a mix.
                    File.Move(temporary, path, overwrite: true);
                }
                finally
                {
                    File.Delete(temporary);
                }
            }

            // Read what is on disk rather than trusting what was written: that is the key every process will use.
            return Read(path);
        }
    }

    private static string WriteTemporary(string path, KeyFile keys)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using var stream = OwnerOnlyFiles.CreateNewFile(temporary);
            JsonSerializer.Serialize(stream, keys);
            stream.Flush(flushToDisk: true);
            return temporary;
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>
    /// An exclusive lock on a small, empty side file. On Unix .NET takes an advisory <c>flock</c> for
    /// <see cref="FileShare.None"/>, which the kernel releases if the process dies, so a crash never leaves it held.
    /// The file stays afterwards: deleting a lock file lets a late opener and a new creator hold two different locks.
    /// </summary>
    private static FileStream AcquireLock(string lockPath)
    {
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try
            {
                return new FileStream(lockPath, options);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(TimeSpan.FromMilliseconds(20));
            }
        }
    }

    private static KeyFile Read(string path)
    {
        var keys = JsonSerializer.Deserialize<KeyFile>(File.ReadAllBytes(path))
            ?? throw new InvalidOperationException($"The key file {path} is empty.");
        if (keys.TokenSigningKey?.Length != KeyBytes || keys.BlindIndexKey?.Length != KeyBytes
            || keys.PersonalDataKey is { Length: not KeyBytes })
        {
            throw new InvalidOperationException($"The key file {path} is damaged: each key must be {KeyBytes} bytes.");
        }

        return keys;
    }

    /// <summary>The file's shape. <see cref="PersonalDataKey"/> is null in a file written by the previous version.</summary>
    private sealed record KeyFile(byte[] TokenSigningKey, byte[] BlindIndexKey, byte[]? PersonalDataKey)
    {
        public static KeyFile Generate() =>
            new(RandomNumberGenerator.GetBytes(KeyBytes), RandomNumberGenerator.GetBytes(KeyBytes), RandomNumberGenerator.GetBytes(KeyBytes));
    }
}
