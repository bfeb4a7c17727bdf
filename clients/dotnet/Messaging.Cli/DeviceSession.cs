using System.Text;
using Messaging.Client.Secure;
using Messaging.Protocol.Primitives;
using Messaging.Protocol.Storage;

namespace Messaging.Cli;

/// <summary>
/// Opens the profile's device. The state key is Argon2id of the password with the profile's salt, so the sealed
/// state on disk is useless without the password.
/// </summary>
internal static class DeviceSession
{
    private const ulong OpsLimit = 3;
    private const nuint MemLimit = 64 * 1024 * 1024;

    public static StorageKey DeriveKey(string password, byte[] salt)
    {
        var key = new byte[32];
        try
        {
            Crypto.Argon2id(Encoding.UTF8.GetBytes(password), salt, OpsLimit, MemLimit, key);
            return StorageKey.Import(key);
        }
        finally
        {
            Crypto.Wipe(key);
        }
    }

    public static SecureMessengerOptions Options(Profile profile, string password, StorageKey key) => new()
    {
        ServerUri = profile.Data.Server,
        Login = profile.Data.Login,
        Password = password,
        Storage = new FileStateStorage(profile.StateFolder),
        StorageKey = key,
    };

    public static SecureMessenger Open(Profile profile, string password, out StorageKey key)
    {
        if (profile.Data.DeviceId is null || profile.Data.StateSalt is null)
        {
            throw new CliException("This profile has no device yet: run `messaging device register`.");
        }

        key = DeriveKey(password, profile.Data.StateSalt);
        return SecureMessenger.Open(Options(profile, password, key));
    }
}
