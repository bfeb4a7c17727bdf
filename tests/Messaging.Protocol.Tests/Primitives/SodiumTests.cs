using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Tests.Primitives;

/// <summary>The native library is the one docs/protocol.md §1 names (libsodium 1.0.22, with ML-KEM-768).</summary>
public sealed class SodiumTests
{
    [Fact]
    public void Version_NativeLibrary_Is102x()
    {
        Assert.StartsWith("1.0.2", Sodium.Version, StringComparison.Ordinal);
    }
}
