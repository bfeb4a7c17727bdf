using Messaging.Protocol.Storage;

namespace Messaging.Protocol.Tests.Storage;

public sealed class StorageKeyTests
{
    [Fact]
    public void Import_ThenExport_GivesTheSameBytes()
    {
        var raw = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        using var key = StorageKey.Import(raw, allowExport: true);
        var exported = new byte[32];

        key.Export(exported);

        Assert.Equal(raw, exported);
    }

    [Fact]
    public void Export_NotAllowed_Throws()
    {
        using var key = StorageKey.Generate();

        Assert.False(key.IsExportAllowed);
        Assert.Throws<InvalidOperationException>(() => key.Export(new byte[32]));
    }

    [Fact]
    public void Import_WrongLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => StorageKey.Import(new byte[31]));
    }

    [Fact]
    public void Generate_TwoKeys_Differ()
    {
        using var a = StorageKey.Generate(allowExport: true);
        using var b = StorageKey.Generate(allowExport: true);
        var rawA = new byte[32];
        var rawB = new byte[32];

        a.Export(rawA);
        b.Export(rawB);

        Assert.NotEqual(rawA, rawB);
        Assert.False(rawA.All(x => x == 0));
    }

    [Fact]
    public void Dispose_WipesTheKey()
    {
        var key = StorageKey.Import(Enumerable.Repeat((byte)0x5a, 32).ToArray(), allowExport: true);
        var secret = key.Secret;

        key.Dispose();

        // The span still points at the pinned array: after disposal it holds only zeros.
        Assert.All(secret.ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Dispose_ThenUse_ThrowsObjectDisposed()
    {
        var key = StorageKey.Generate(allowExport: true);
        key.Dispose();
        key.Dispose();

        Assert.Throws<ObjectDisposedException>(() => key.Export(new byte[32]));
        Assert.Throws<ObjectDisposedException>(() => EncryptedStateFile.Seal([1, 2, 3], key));
    }
}
