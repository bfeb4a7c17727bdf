using System.Text;
using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Tests.Primitives;

/// <summary>XChaCha20-Poly1305-IETF against draft-irtf-cfrg-xchacha-03 §A.3.1, both directions.</summary>
public sealed class XChaCha20Poly1305Tests
{
    // draft-irtf-cfrg-xchacha-03 §A.3.1 (AEAD_XCHACHA20_POLY1305 test vector).
    private static readonly byte[] Plaintext = Encoding.ASCII.GetBytes(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");

    private static readonly byte[] Ad = Convert.FromHexString("50515253c0c1c2c3c4c5c6c7");
    private static readonly byte[] Key = Convert.FromHexString("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    private static readonly byte[] Nonce = Convert.FromHexString("404142434445464748494a4b4c4d4e4f5051525354555657");

    private const string Ciphertext =
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
        + "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
        + "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
        + "21f9664c97637da9768812f615c68b13b52e";

    private const string Tag = "c0875924c1c7987947deafd8780acf49";

    [Fact]
    public void AeadEncrypt_DraftA31_GivesPublishedCiphertextAndTag()
    {
        Assert.Equal(114, Plaintext.Length);
        var sealedBytes = new byte[Plaintext.Length + 16];

        Crypto.AeadEncrypt(Key, Nonce, Ad, Plaintext, sealedBytes);

        Assert.Equal(Ciphertext + Tag, Convert.ToHexStringLower(sealedBytes));
    }

    [Fact]
    public void TryAeadDecrypt_DraftA31_GivesPublishedPlaintext()
    {
        var opened = new byte[Plaintext.Length];

        Assert.True(Crypto.TryAeadDecrypt(Key, Nonce, Ad, Convert.FromHexString(Ciphertext + Tag), opened));

        Assert.Equal(Plaintext, opened);
    }

    [Fact]
    public void TryAeadDecrypt_DraftA31AnyByteModified_ReturnsFalse()
    {
        var sealedBytes = Convert.FromHexString(Ciphertext + Tag);
        var opened = new byte[Plaintext.Length];
        for (var i = 0; i < sealedBytes.Length; i++)
        {
            sealedBytes[i] ^= 0x01;
            Assert.False(Crypto.TryAeadDecrypt(Key, Nonce, Ad, sealedBytes, opened), $"byte {i} (tag from {Plaintext.Length})");
            sealedBytes[i] ^= 0x01;
        }

        Assert.All(opened, b => Assert.Equal(0, b));
        Assert.True(Crypto.TryAeadDecrypt(Key, Nonce, Ad, sealedBytes, opened));
    }

    [Fact]
    public void TryAeadDecrypt_DraftA31WrongAdNonceOrKey_ReturnsFalse()
    {
        var sealedBytes = Convert.FromHexString(Ciphertext + Tag);
        var opened = new byte[Plaintext.Length];
        var ad = (byte[])Ad.Clone();
        ad[^1] ^= 0x01;
        var nonce = (byte[])Nonce.Clone();
        nonce[^1] ^= 0x01;
        var key = (byte[])Key.Clone();
        key[0] ^= 0x01;

        Assert.False(Crypto.TryAeadDecrypt(Key, Nonce, ad, sealedBytes, opened));
        Assert.False(Crypto.TryAeadDecrypt(Key, Nonce, [], sealedBytes, opened));
        Assert.False(Crypto.TryAeadDecrypt(Key, nonce, Ad, sealedBytes, opened));
        Assert.False(Crypto.TryAeadDecrypt(key, Nonce, Ad, sealedBytes, opened));
    }

    [Fact]
    public void TryAeadDecrypt_TruncatedOrWrongOutputLength_ReturnsFalse()
    {
        var sealedBytes = Convert.FromHexString(Ciphertext + Tag);

        Assert.False(Crypto.TryAeadDecrypt(Key, Nonce, Ad, sealedBytes.AsSpan(0, 15), []));
        Assert.False(Crypto.TryAeadDecrypt(Key, Nonce, Ad, sealedBytes.AsSpan(0, sealedBytes.Length - 1), new byte[Plaintext.Length - 1]));
        Assert.False(Crypto.TryAeadDecrypt(Key, Nonce, Ad, sealedBytes, new byte[Plaintext.Length + 1]));
    }
}
