using System.Text.Json;
using Messaging.Client.Secure;

namespace Messaging.Cli;

/// <summary>
/// Where the CLI keeps one identity: the server, the login, the account and device ids (profile.json), and the
/// device's keys, sessions, history and refresh token (the device folder, sealed with a key derived from the
/// password). Nothing secret is in clear: no token, no code, no password.
/// </summary>
internal sealed class Profile
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private Profile(string folder, ProfileData data)
    {
        Folder = folder;
        Data = data;
    }

    public string Folder { get; }

    public ProfileData Data { get; private set; }

    /// <summary>The device's sealed state (keys, sessions, history).</summary>
    public string StateFolder => Path.Combine(Folder, "device");

    /// <summary>The profile folder: --profile, else MESSAGING_PROFILE, else ~/.messaging/default.</summary>
    public static string ResolveFolder(string? option) =>
        option ?? Environment.GetEnvironmentVariable("MESSAGING_PROFILE")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".messaging", "default");

    public static Profile Load(string folder) =>
        TryLoad(folder) ?? throw new CliException($"No profile in {folder}: run `messaging login` first.");

    public static Profile? TryLoad(string folder)
    {
        var file = Path.Combine(folder, "profile.json");
        return File.Exists(file) ? new Profile(folder, JsonSerializer.Deserialize<ProfileData>(File.ReadAllText(file), Json)!) : null;
    }

    public static Profile Create(string folder, ProfileData data)
    {
        var profile = new Profile(folder, data);
        profile.Save(data);
        return profile;
    }

    public void Save(ProfileData data)
    {
        Data = data;
        WriteOwnerOnly(Path.Combine(Folder, "profile.json"), JsonSerializer.SerializeToUtf8Bytes(data, Json));
    }

    /// <summary>
    /// Takes the device for this process, or returns null when another `messaging` process holds it: two processes
    /// sharing one device would overwrite each other's ratchet state, and replay each other's single-use refresh
    /// token (which ends the session). The lock goes with the process, even on a crash.
    /// </summary>
    public FileStream? TryLockDevice()
    {
        FileStateStorage.CreateOwnerOnlyFolder(Folder);
        try
        {
            return new FileStream(Path.Combine(Folder, "device.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Writes atomically with owner-only permissions, in an owner-only folder.</summary>
    public void WriteOwnerOnly(string path, byte[] bytes)
    {
        FileStateStorage.CreateOwnerOnlyFolder(Folder);
        FileStateStorage.WriteAtomically(path, bytes);
    }
}

internal sealed record ProfileData(Uri Server, string Login, Guid AccountId, Guid? DeviceId, byte[]? StateSalt = null);

/// <summary>An error for the user: printed without a stack trace, exit code 1.</summary>
internal sealed class CliException(string message) : Exception(message);
