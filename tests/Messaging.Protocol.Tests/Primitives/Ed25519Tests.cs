using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Tests.Primitives;

/// <summary>Ed25519 against RFC 8032 §7.1: key pair from the secret key (seed), signature, verification.</summary>
public sealed class Ed25519Tests
{
    // RFC 8032 §7.1: SECRET KEY (the 32-byte seed), PUBLIC KEY, MESSAGE, SIGNATURE.
    private static readonly Dictionary<string, Vector> Rfc8032 = new()
    {
        // TEST 1: the empty message.
        ["TEST 1"] = new(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),

        // TEST 2: one byte.
        ["TEST 2"] = new(
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
            + "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),

        // TEST 3: two bytes.
        ["TEST 3"] = new(
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
            + "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),

        // TEST SHA(abc): the message is SHA-512("abc"), 64 bytes.
        ["TEST SHA(abc)"] = new(
            "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
            "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
            + "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"),
    };

    public static TheoryData<string> Rfc8032Tests => new(Rfc8032.Keys);

    [Theory]
    [MemberData(nameof(Rfc8032Tests))]
    public void Ed25519KeyPairFromSeed_Rfc8032Vector_GivesPublishedPublicKey(string test)
    {
        var v = Rfc8032[test];

        var (pk, sk) = KeyPair(v.SecretKey);

        Assert.Equal(v.PublicKey, Convert.ToHexStringLower(pk));
        // libsodium's 64-byte secret key is the RFC's 32-byte secret key followed by the public key.
        Assert.Equal(v.SecretKey + v.PublicKey, Convert.ToHexStringLower(sk));
    }

    [Theory]
    [MemberData(nameof(Rfc8032Tests))]
    public void Sign_Rfc8032Vector_GivesPublishedSignature(string test)
    {
        var v = Rfc8032[test];
        var (_, sk) = KeyPair(v.SecretKey);
        var signature = new byte[64];

        Crypto.Sign(sk, Convert.FromHexString(v.Message), signature);

        Assert.Equal(v.Signature, Convert.ToHexStringLower(signature));
    }

    [Theory]
    [MemberData(nameof(Rfc8032Tests))]
    public void Verify_Rfc8032Vector_Succeeds(string test)
    {
        var v = Rfc8032[test];

        var valid = Crypto.Verify(Convert.FromHexString(v.PublicKey), Convert.FromHexString(v.Message), Convert.FromHexString(v.Signature));

        Assert.True(valid);
    }

    [Theory]
    [MemberData(nameof(Rfc8032Tests))]
    public void Verify_Rfc8032VectorWithABitFlipped_Fails(string test)
    {
        var v = Rfc8032[test];
        var pk = Convert.FromHexString(v.PublicKey);
        var m = Convert.FromHexString(v.Message);
        var sig = Convert.FromHexString(v.Signature);

        // Every bit of the signature, and one bit in each byte of the key and of the message.
        for (var bit = 0; bit < sig.Length * 8; bit++)
        {
            sig[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(Crypto.Verify(pk, m, sig), $"signature bit {bit}");
            sig[bit / 8] ^= (byte)(1 << (bit % 8));
        }

        for (var i = 0; i < pk.Length; i++)
        {
            pk[i] ^= 0x01;
            Assert.False(Crypto.Verify(pk, m, sig), $"public key byte {i}");
            pk[i] ^= 0x01;
        }

        for (var i = 0; i < m.Length; i++)
        {
            m[i] ^= 0x80;
            Assert.False(Crypto.Verify(pk, m, sig), $"message byte {i}");
            m[i] ^= 0x80;
        }

        Assert.False(Crypto.Verify(pk, [.. m, 0x00], sig), "extended message");
        Assert.True(Crypto.Verify(pk, m, sig), "restored");
    }

    [Fact]
    public void Sha512_Abc_IsTheMessageOfTestShaAbc()
    {
        // RFC 8032 §7.1 TEST SHA(abc) signs SHA-512("abc") (FIPS 180-2 Appendix C.1).
        var digest = new byte[64];

        Crypto.Sha512("abc"u8, digest);

        Assert.Equal(
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            Convert.ToHexStringLower(digest));
    }

    [Fact]
    public void Verify_WrongSizes_ReturnsFalse()
    {
        Assert.False(Crypto.Verify(new byte[31], [], new byte[64]));
        Assert.False(Crypto.Verify(new byte[32], [], new byte[63]));
    }

    private static (byte[] PublicKey, byte[] SecretKey) KeyPair(string seed)
    {
        var pk = new byte[32];
        var sk = new byte[64];
        Crypto.Ed25519KeyPairFromSeed(Convert.FromHexString(seed), pk, sk);
        return (pk, sk);
    }

    private sealed record Vector(string SecretKey, string PublicKey, string Message, string Signature);
}
