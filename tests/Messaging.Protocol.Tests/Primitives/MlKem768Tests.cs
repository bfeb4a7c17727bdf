using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Tests.Primitives;

/// <summary>
/// ML-KEM-768 (FIPS 203) through libsodium: seeded key pairs and deterministic encapsulation round-trip, and a
/// modified ciphertext yields another secret (implicit rejection, FIPS 203 §6.3) rather than an error.
/// </summary>
public sealed class MlKem768Tests
{
    [Fact]
    public void KemKeyPairFromSeed_SameSeed_SameKeys()
    {
        var (pk1, sk1) = KeyPair(Seed(1));
        var (pk2, sk2) = KeyPair(Seed(1));

        Assert.Equal(pk1, pk2);
        Assert.Equal(sk1, sk2);
        // FIPS 203 decapsulation key layout: dk_PKE (1152) || ek (1184) || H(ek) (32) || z (32) = seed[32..64).
        Assert.Equal(pk1, sk1.AsSpan(1152, 1184).ToArray());
        Assert.Equal(Seed(1).AsSpan(32).ToArray(), sk1.AsSpan(2400 - 32).ToArray());
    }

    [Fact]
    public void KemKeyPairFromSeed_DifferentSeed_DifferentKeys()
    {
        var (pk1, _) = KeyPair(Seed(1));
        var (pk2, _) = KeyPair(Seed(2));

        Assert.NotEqual(pk1, pk2);
    }

    [Fact]
    public void TryKemEncapsulate_Deterministic_BothSidesGetTheSameSecret()
    {
        var (pk, sk) = KeyPair(Seed(1));
        var ct = new byte[Sizes.KemCiphertext];
        var ssSender = new byte[Sizes.KemSharedSecret];
        var ssReceiver = new byte[Sizes.KemSharedSecret];

        Assert.True(Crypto.TryKemEncapsulate(pk, ct, ssSender, EncapsulationSeed(7)));
        Assert.True(Crypto.TryKemDecapsulate(sk, ct, ssReceiver));

        Assert.Equal(ssSender, ssReceiver);
        Assert.False(ssSender.All(b => b == 0));
    }

    [Fact]
    public void TryKemEncapsulate_SameSeed_SameCiphertextAndSecret()
    {
        var (pk, _) = KeyPair(Seed(1));

        var (ct1, ss1) = Encapsulate(pk, EncapsulationSeed(7));
        var (ct2, ss2) = Encapsulate(pk, EncapsulationSeed(7));

        Assert.Equal(ct1, ct2);
        Assert.Equal(ss1, ss2);
    }

    [Fact]
    public void TryKemEncapsulate_DifferentSeed_DifferentCiphertextAndSecret()
    {
        var (pk, _) = KeyPair(Seed(1));

        var (ct1, ss1) = Encapsulate(pk, EncapsulationSeed(7));
        var (ct2, ss2) = Encapsulate(pk, EncapsulationSeed(8));

        Assert.NotEqual(ct1, ct2);
        Assert.NotEqual(ss1, ss2);
    }

    [Fact]
    public void TryKemEncapsulate_Random_RoundTrips()
    {
        var (pk, sk) = KeyPair(Seed(3));
        var (ct1, ss1) = Encapsulate(pk, default);
        var (ct2, _) = Encapsulate(pk, default);
        var received = new byte[Sizes.KemSharedSecret];

        Assert.True(Crypto.TryKemDecapsulate(sk, ct1, received));

        Assert.Equal(ss1, received);
        Assert.NotEqual(ct1, ct2);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(500)]
    [InlineData(Sizes.KemCiphertext - 1)]
    public void TryKemDecapsulate_ModifiedCiphertext_GivesAnotherSecret(int index)
    {
        var (pk, sk) = KeyPair(Seed(1));
        var (ct, ss) = Encapsulate(pk, EncapsulationSeed(7));
        ct[index] ^= 0x01;
        var rejected = new byte[Sizes.KemSharedSecret];
        var again = new byte[Sizes.KemSharedSecret];

        // Implicit rejection: decapsulation "succeeds" with a pseudo-random secret, the same one each time.
        Assert.True(Crypto.TryKemDecapsulate(sk, ct, rejected));
        Assert.True(Crypto.TryKemDecapsulate(sk, ct, again));

        Assert.NotEqual(ss, rejected);
        Assert.Equal(rejected, again);
    }

    [Fact]
    public void TryKemDecapsulate_OtherKeyPair_GivesAnotherSecret()
    {
        var (pk, _) = KeyPair(Seed(1));
        var (_, otherSk) = KeyPair(Seed(2));
        var (ct, ss) = Encapsulate(pk, EncapsulationSeed(7));
        var received = new byte[Sizes.KemSharedSecret];

        Assert.True(Crypto.TryKemDecapsulate(otherSk, ct, received));

        Assert.NotEqual(ss, received);
    }

    [Fact]
    public void TryKemEncapsulate_WrongPublicKeyLength_ReturnsFalse()
    {
        Assert.False(Crypto.TryKemEncapsulate(new byte[Sizes.KemPublicKey - 1], new byte[Sizes.KemCiphertext], new byte[Sizes.KemSharedSecret]));
    }

    [Fact]
    public void TryKemDecapsulate_WrongCiphertextLength_ReturnsFalse()
    {
        var (_, sk) = KeyPair(Seed(1));

        Assert.False(Crypto.TryKemDecapsulate(sk, new byte[Sizes.KemCiphertext + 1], new byte[Sizes.KemSharedSecret]));
    }

    private static byte[] Seed(byte value) => Enumerable.Range(0, Sizes.KemSeed).Select(i => (byte)(i + (value * 64))).ToArray();

    private static byte[] EncapsulationSeed(byte value) => Enumerable.Repeat(value, 32).ToArray();

    private static (byte[] PublicKey, byte[] SecretKey) KeyPair(byte[] seed)
    {
        var pk = new byte[Sizes.KemPublicKey];
        var sk = new byte[Sizes.KemSecretKey];
        Crypto.KemKeyPairFromSeed(seed, pk, sk);
        return (pk, sk);
    }

    private static (byte[] Ciphertext, byte[] SharedSecret) Encapsulate(byte[] pk, byte[]? seed)
    {
        var ct = new byte[Sizes.KemCiphertext];
        var ss = new byte[Sizes.KemSharedSecret];
        Assert.True(Crypto.TryKemEncapsulate(pk, ct, ss, seed));
        return (ct, ss);
    }
}
