using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Tests.Primitives;

/// <summary>X25519 against RFC 7748 §5.2 and §6.1, and the refusal of low-order points (docs/protocol.md §1).</summary>
public sealed class X25519Tests
{
    // RFC 7748 §6.1: Alice's and Bob's key pairs and their shared secret K.
    private const string AliceSecret = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    private const string AlicePublic = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    private const string BobSecret = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    private const string BobPublic = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    private const string SharedK = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

    public static TheoryData<string, string, string> Rfc7748Section52 => new()
    {
        // RFC 7748 §5.2, first vector.
        {
            "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
            "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"
        },

        // RFC 7748 §5.2, second vector (the u-coordinate has its top bit set, which must be ignored).
        {
            "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
            "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
            "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"
        },
    };

    /// <summary>
    /// Points of small order, as in libsodium's blacklist (crypto_scalarmult/curve25519/ref10/x25519_ref10.c):
    /// any scalar gives an all-zero result, which the protocol refuses.
    /// </summary>
    public static TheoryData<string, string> LowOrderPoints => new()
    {
        { "0 (order 4)", "0000000000000000000000000000000000000000000000000000000000000000" },
        { "1 (order 1)", "0100000000000000000000000000000000000000000000000000000000000000" },
        { "order 8", "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800" },
        { "order 8 (other)", "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157" },
        { "p-1 (order 2)", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f" },
        { "p (= 0, order 4)", "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f" },
        { "p+1 (= 1, order 1)", "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f" },
    };

    [Theory]
    [MemberData(nameof(Rfc7748Section52))]
    public void TryX25519_Rfc7748Section52Vector_GivesPublishedOutput(string scalar, string u, string output)
    {
        var shared = new byte[32];

        Assert.True(Crypto.TryX25519(Convert.FromHexString(scalar), Convert.FromHexString(u), shared));

        Assert.Equal(output, Convert.ToHexStringLower(shared));
    }

    [Theory]
    [InlineData(1, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079")]
    [InlineData(1000, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")]
    public void TryX25519_Rfc7748Section52Iterated_GivesPublishedK(int iterations, string expected)
    {
        // RFC 7748 §5.2: k = u = 9; each iteration sets k = X25519(k, u) and u = the old k.
        var k = new byte[32];
        var u = new byte[32];
        k[0] = 9;
        u[0] = 9;
        var result = new byte[32];
        for (var i = 0; i < iterations; i++)
        {
            Assert.True(Crypto.TryX25519(k, u, result));
            k.CopyTo(u, 0);
            result.CopyTo(k, 0);
        }

        Assert.Equal(expected, Convert.ToHexStringLower(k));
    }

    [Fact]
    public void X25519PublicKey_Rfc7748Section61_GivesPublishedPublicKeys()
    {
        var alice = new byte[32];
        var bob = new byte[32];

        Crypto.X25519PublicKey(Convert.FromHexString(AliceSecret), alice);
        Crypto.X25519PublicKey(Convert.FromHexString(BobSecret), bob);

        Assert.Equal(AlicePublic, Convert.ToHexStringLower(alice));
        Assert.Equal(BobPublic, Convert.ToHexStringLower(bob));
    }

    [Fact]
    public void TryX25519_Rfc7748Section61_BothSidesGetPublishedSecret()
    {
        var atAlice = new byte[32];
        var atBob = new byte[32];

        Assert.True(Crypto.TryX25519(Convert.FromHexString(AliceSecret), Convert.FromHexString(BobPublic), atAlice));
        Assert.True(Crypto.TryX25519(Convert.FromHexString(BobSecret), Convert.FromHexString(AlicePublic), atBob));

        Assert.Equal(SharedK, Convert.ToHexStringLower(atAlice));
        Assert.Equal(SharedK, Convert.ToHexStringLower(atBob));
    }

    [Theory]
    [MemberData(nameof(LowOrderPoints))]
    public void TryX25519_LowOrderPoint_ReturnsFalseAndZeroOutput(string name, string point)
    {
        var shared = Enumerable.Repeat((byte)0xa5, 32).ToArray();

        var accepted = Crypto.TryX25519(Convert.FromHexString(AliceSecret), Convert.FromHexString(point), shared);

        Assert.False(accepted, name);
        Assert.All(shared, b => Assert.Equal(0, b));
    }

    [Fact]
    public void TryX25519_WrongLengths_Throw()
    {
        Assert.Throws<ArgumentException>(() => Crypto.TryX25519(new byte[31], new byte[32], new byte[32]));
        Assert.Throws<ArgumentException>(() => Crypto.TryX25519(new byte[32], new byte[33], new byte[32]));
    }
}
