using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Messaging.Server.Hosting;
using Messaging.Testing;

namespace Messaging.Server.Tests.Hosting;

/// <summary>The server's keys: from configuration, or from a generated key file, including one of the previous version.</summary>
public sealed class ServerKeysTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly TempDirectory parent = new();

    private string DataDirectory => Path.Combine(parent.Path, "data");

    private string KeyFilePath => Path.Combine(DataDirectory, ServerKeys.FileName);

    public void Dispose() => parent.Dispose();

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void Load_NewDataDirectory_CreatesOwnerOnlyFileWithThreeKeys()
    {
        var keys = ServerKeys.Load(new KeyOptions(), DataDirectory);

        var file = ReadKeyFile();
        Assert.Equal(3, file.Count);
        Assert.Equal(keys.TokenSigningKey, file["TokenSigningKey"]);
        Assert.Equal(keys.BlindIndexKey, file["BlindIndexKey"]);
        Assert.Equal(keys.PersonalDataKey, file["PersonalDataKey"]);
        Assert.All(file.Values, key => Assert.Equal(32, key.Length));
        Assert.Equal(3, file.Values.Select(Convert.ToBase64String).Distinct().Count());
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(KeyFilePath));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(KeyFilePath + ".lock"));
        Assert.Equal([ServerKeys.FileName, ServerKeys.FileName + ".lock"], Directory.GetFiles(DataDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Load_SecondStart_ReadsTheSameKeys()
    {
        var first = ServerKeys.Load(new KeyOptions(), DataDirectory);
        var second = ServerKeys.Load(new KeyOptions(), DataDirectory);

        Assert.Equal(first.TokenSigningKey, second.TokenSigningKey);
        Assert.Equal(first.BlindIndexKey, second.BlindIndexKey);
        Assert.Equal(first.PersonalDataKey, second.PersonalDataKey);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void Load_KeyFileOfPreviousVersion_GainsThirdKeyAndKeepsTheFirstTwo()
    {
        var (signing, index) = WritePreviousVersionFile();

        var keys = ServerKeys.Load(new KeyOptions(), DataDirectory);

        Assert.Equal(signing, keys.TokenSigningKey);
        Assert.Equal(index, keys.BlindIndexKey);
        Assert.Equal(32, keys.PersonalDataKey.Length);
        var file = ReadKeyFile();
        Assert.Equal(signing, file["TokenSigningKey"]);
        Assert.Equal(index, file["BlindIndexKey"]);
        Assert.Equal(keys.PersonalDataKey, file["PersonalDataKey"]);
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(KeyFilePath));
        Assert.Empty(Directory.GetFiles(DataDirectory, "*.tmp"));
        Assert.Equal(keys.PersonalDataKey, ServerKeys.Load(new KeyOptions(), DataDirectory).PersonalDataKey);
    }

    [Fact]
    public async Task Load_ManyStartsAtOnceOnKeyFileOfPreviousVersion_AllGetTheSameThirdKey()
    {
        for (var round = 0; round < 10; round++)
        {
            using var data = new TempDirectory();
            WritePreviousVersionFile(data.Path);
            using var start = new Barrier(8);

            var loaded = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => OnOwnThread(() =>
            {
                start.SignalAndWait(TestContext.Current.CancellationToken);
                return ServerKeys.Load(new KeyOptions(), data.Path).PersonalDataKey;
            })));

            var onDisk = ReadKeyFile(data.Path)["PersonalDataKey"];
            Assert.All(loaded, key => Assert.Equal(onDisk, key));
        }
    }

    [Fact]
    public async Task Load_ManyFirstStartsAtOnce_AllGetTheSameKeys()
    {
        for (var round = 0; round < 10; round++)
        {
            using var data = new TempDirectory();
            var folder = Path.Combine(data.Path, "data");
            using var start = new Barrier(8);

            var loaded = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => OnOwnThread(() =>
            {
                start.SignalAndWait(TestContext.Current.CancellationToken);
                var keys = ServerKeys.Load(new KeyOptions(), folder);
                return Convert.ToBase64String([.. keys.TokenSigningKey, .. keys.BlindIndexKey, .. keys.PersonalDataKey]);
            })));

            Assert.Single(loaded.Distinct());
            // The key file, and the empty lock file the creators took turns on (kept on purpose: see ServerKeys).
            Assert.Equal([ServerKeys.FileName, ServerKeys.FileName + ".lock"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void Load_AllThreeConfigured_UsesThemAndWritesNoFile()
    {
        var (signing, index, personal) = (RandomKey(), RandomKey(), RandomKey());

        var keys = ServerKeys.Load(Options(signing, index, personal), DataDirectory);

        Assert.Equal(signing, keys.TokenSigningKey);
        Assert.Equal(index, keys.BlindIndexKey);
        Assert.Equal(personal, keys.PersonalDataKey);
        Assert.False(Directory.Exists(DataDirectory));
    }

    [Fact]
    public void Load_SomeConfigured_FailsNamingTheMissingOnes()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ServerKeys.Load(Options(RandomKey(), RandomKey(), null), DataDirectory));

        Assert.Contains("Messaging:Keys:PersonalDataKey", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("TokenSigningKey", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(DataDirectory));
    }

    [Theory]
    [InlineData(nameof(KeyOptions.TokenSigningKey))]
    [InlineData(nameof(KeyOptions.BlindIndexKey))]
    [InlineData(nameof(KeyOptions.PersonalDataKey))]
    public void Load_ConfiguredKeyOfWrongLength_FailsNamingTheSetting(string name)
    {
        foreach (var wrong in new[] { Convert.ToBase64String(new byte[16]), Convert.ToBase64String(new byte[33]), "not base64!" })
        {
            var options = Options(RandomKey(), RandomKey(), RandomKey());
            typeof(KeyOptions).GetProperty(name)!.SetValue(options, wrong);

            var exception = Assert.Throws<InvalidOperationException>(() => ServerKeys.Load(options, DataDirectory));

            Assert.Equal($"Messaging:Keys:{name} must be the base64 of 32 bytes.", exception.Message);
        }
    }

    [Fact]
    public void Load_KeyFileWithAShortKey_FailsSayingItIsDamaged()
    {
        Directory.CreateDirectory(DataDirectory);
        File.WriteAllText(KeyFilePath, JsonSerializer.Serialize(new { TokenSigningKey = RandomKey(), BlindIndexKey = new byte[16] }));

        var exception = Assert.Throws<InvalidOperationException>(() => ServerKeys.Load(new KeyOptions(), DataDirectory));

        Assert.Contains("damaged", exception.Message, StringComparison.Ordinal);
    }

    private (byte[] Signing, byte[] Index) WritePreviousVersionFile(string? folder = null)
    {
        folder ??= DataDirectory;
        Directory.CreateDirectory(folder);
        var (signing, index) = (RandomKey(), RandomKey());
        // The shape the previous version wrote: two base64 properties.
        File.WriteAllText(Path.Combine(folder, ServerKeys.FileName), JsonSerializer.Serialize(new { TokenSigningKey = signing, BlindIndexKey = index }));
        return (signing, index);
    }

    private Dictionary<string, byte[]> ReadKeyFile(string? folder = null)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder ?? DataDirectory, ServerKeys.FileName)))!.AsObject();
        return json.ToDictionary(p => p.Key, p => Convert.FromBase64String(p.Value!.GetValue<string>()));
    }

    private static KeyOptions Options(byte[]? signing, byte[]? index, byte[]? personal) => new()
    {
        TokenSigningKey = signing is null ? null : Convert.ToBase64String(signing),
        BlindIndexKey = index is null ? null : Convert.ToBase64String(index),
        PersonalDataKey = personal is null ? null : Convert.ToBase64String(personal),
    };

    private static byte[] RandomKey() => RandomNumberGenerator.GetBytes(32);

    /// <summary>A dedicated thread: eight starts meeting at a barrier must not wait for the thread pool to grow.</summary>
    private static Task<T> OnOwnThread<T>(Func<T> start) =>
        Task.Factory.StartNew(start, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
