using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Tests.Primitives;

/// <summary>HKDF-SHA-256 against RFC 5869 Appendix A (the PRK is not exposed, so the OKM is checked).</summary>
public sealed class HkdfTests
{
    public static TheoryData<string, string, string, string, int, string> Rfc5869 => new()
    {
        // RFC 5869 A.1, Test Case 1: basic test case with SHA-256.
        {
            "A.1",
            "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
            "000102030405060708090a0b0c",
            "f0f1f2f3f4f5f6f7f8f9",
            42,
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        },

        // RFC 5869 A.2, Test Case 2: longer inputs and outputs (IKM 0x00..0x4f, salt 0x60..0xaf, info 0xb0..0xff).
        {
            "A.2",
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
            + "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
            + "404142434445464748494a4b4c4d4e4f",
            "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
            + "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
            + "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
            "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
            + "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
            + "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
            82,
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            + "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            + "cc30c58179ec3e87c14c01d5c1f3434f1d87"
        },

        // RFC 5869 A.3, Test Case 3: zero-length salt and info (the salt defaults to HashLen zeros).
        {
            "A.3",
            "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
            "",
            "",
            42,
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
        },
    };

    [Theory]
    [MemberData(nameof(Rfc5869))]
    public void Hkdf_Rfc5869Vector_GivesPublishedOkm(string section, string ikm, string salt, string info, int length, string okm)
    {
        var output = new byte[length];

        Crypto.Hkdf(Convert.FromHexString(salt), Convert.FromHexString(ikm), Convert.FromHexString(info), output);

        var actual = Convert.ToHexStringLower(output);
        Assert.True(actual == okm, $"RFC 5869 {section}: expected {okm}, got {actual}");
    }

    [Fact]
    public void Hkdf_ZeroSaltOfHashLength_EqualsEmptySalt()
    {
        // RFC 5869 §2.2: a salt not provided is HashLen zeros; the protocol's ZERO(32) salts rely on it (§4, §5).
        var ikm = Convert.FromHexString("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        var withZeros = new byte[42];
        var withEmpty = new byte[42];

        Crypto.Hkdf(new byte[32], ikm, [], withZeros);
        Crypto.Hkdf([], ikm, [], withEmpty);

        Assert.Equal("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8", Convert.ToHexStringLower(withZeros));
        Assert.Equal(withEmpty, withZeros);
    }

    [Theory]
    [InlineData(0)]
    [InlineData((255 * 32) + 1)]
    public void Hkdf_OutputLengthOutOfRange_Throws(int length)
    {
        Assert.Throws<ArgumentException>(() => Crypto.Hkdf([], [1], [], new byte[length]));
    }
}
