using System.Security.Cryptography;
using System.Text.Json;

namespace Messaging.Server.Hosting;

/// <summary>
/// The server's own secrets: the access-token signing key and the blind-index key. They never live in the
/// database. Given by configuration (required when several nodes share a store), or else generated on first start
/// into a key file readable only by the server's user.
/// </summary>
internal sealed class ServerKeys
{
    public const string FileName = "server-keys.json";
    private const int KeyBytes = 32;

    private ServerKeys(byte[] tokenSigningKey, byte[] blindIndexKey)
    {
        TokenSigningKey = tokenSigningKey;
        BlindIndexKey = blindIndexKey;
    }

    public byte[] TokenSigningKey { get; }

    public byte[] BlindIndexKey { get; }

    public static ServerKeys Load(KeyOptions options, string dataDirectory)
    {
        var configured = (Decode(options.TokenSigningKey, nameof(options.TokenSigningKey)), Decode(options.BlindIndexKey, nameof(options.BlindIndexKey)));
        if (configured is (byte[] signing, byte[] index))
        {
            return new ServerKeys(signing, index);
        }

        var file = LoadOrCreateFile(Path.Combine(dataDirectory, FileName));
        return new ServerKeys(configured.Item1 ?? file.TokenSigningKey, configured.Item2 ?? file.BlindIndexKey);
    }

    private static byte[]? Decode(string? base64, string name)
    {
        if (string.IsNullOrWhiteSpace(base64))
        {
            return null;
        }

        var bytes = Convert.FromBase64String(base64);
        return bytes.Length == KeyBytes
            ? bytes
            : throw new InvalidOperationException($"Messaging:Keys:{name} must be the base64 of {KeyBytes} bytes.");
    }

    private static ServerKeys LoadOrCreateFile(string path)
    {
        if (!File.Exists(path))
        {
            var fresh = new KeyFile(RandomNumberGenerator.GetBytes(KeyBytes), RandomNumberGenerator.GetBytes(KeyBytes));
            try
            {
                using var stream = OwnerOnlyFiles.CreateNewFile(path);
                JsonSerializer.Serialize(stream, fresh);
                stream.Flush(flushToDisk: true);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: use theirs.
            }
        }

        var keys = JsonSerializer.Deserialize<KeyFile>(File.ReadAllBytes(path))
            ?? throw new InvalidOperationException($"The key file {path} is empty.");
        return new ServerKeys(keys.TokenSigningKey, keys.BlindIndexKey);
    }

    private sealed record KeyFile(byte[] TokenSigningKey, byte[] BlindIndexKey);
}
