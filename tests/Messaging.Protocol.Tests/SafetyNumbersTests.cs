using System.Buffers.Binary;
using System.Security.Cryptography;
using CsCheck;
using Messaging.Protocol.Keys;
using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Tests;

/// <summary>Safety numbers (docs/protocol.md §6).</summary>
public sealed class SafetyNumbersTests
{
    private static readonly Guid AliceDevice = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
    private static readonly Guid BobDevice = Guid.Parse("0192f0c4-7a1e-7b3c-9d2e-5f6a7b8c9d0e");

    [Fact]
    public void Fingerprint_KnownIdentity_MatchesAnIndependentComputationOfSection6()
    {
        var identity = Identity(1, 2);

        var fingerprint = SafetyNumbers.Fingerprint(identity, AliceDevice);

        var (digits, scan) = ReferenceFingerprint(identity, Convert.FromHexString("00112233445566778899aabbccddeeff"));
        Assert.Equal(digits, fingerprint.Digits);
        Assert.Equal(scan, fingerprint.ScanBytes.ToArray());
    }

    [Fact]
    public void Fingerprint_DeviceId_IsHashedInRfc9562ByteOrder()
    {
        var identity = Identity(1, 2);
        // .NET's default (mixed-endian) byte order of the same Guid must not be what is hashed.
        var (mixedEndian, _) = ReferenceFingerprint(identity, AliceDevice.ToByteArray());

        var fingerprint = SafetyNumbers.Fingerprint(identity, AliceDevice);

        Assert.NotEqual(mixedEndian, fingerprint.Digits);
        Assert.Equal(ReferenceFingerprint(identity, AliceDevice.ToByteArray(bigEndian: true)).Digits, fingerprint.Digits);
    }

    [Fact]
    public void Fingerprint_Always_Is30Digits()
    {
        Gen.Byte.Array[32].Select(Gen.Byte.Array[32], Gen.Guid).Sample(
            (signing, agreement, device) =>
            {
                var fingerprint = SafetyNumbers.Fingerprint(Identity(signing, agreement), device);
                return fingerprint.Digits.Length == 30 && fingerprint.Digits.All(char.IsAsciiDigit) && fingerprint.ScanBytes.Length == 32;
            },
            iter: 20);
    }

    [Fact]
    public void Between_SwappedDevices_SameSafetyNumberAndQrPayload()
    {
        Gen.Byte.Array[32].Select(Gen.Byte.Array[32], Gen.Guid, Gen.Guid).Sample(
            (seedA, seedB, deviceA, deviceB) =>
            {
                var a = SafetyNumbers.Fingerprint(Identity(seedA, seedB), deviceA);
                var b = SafetyNumbers.Fingerprint(Identity(seedB, seedA), deviceB);
                var ab = SafetyNumbers.Between(a, b);
                var ba = SafetyNumbers.Between(b, a);
                return ab.Digits == ba.Digits && ab.QrPayload.SequenceEqual(ba.QrPayload) && ab.MatchesQrPayload(ba.QrPayload);
            },
            iter: 10);
    }

    [Fact]
    public void Between_TwoDevices_SmallerFingerprintFirst()
    {
        var a = SafetyNumbers.Fingerprint(Identity(1, 2), AliceDevice);
        var b = SafetyNumbers.Fingerprint(Identity(3, 4), BobDevice);
        var (first, second) = string.CompareOrdinal(a.Digits, b.Digits) < 0 ? (a, b) : (b, a);

        var number = SafetyNumbers.Between(a, b);

        Assert.Equal(first.Digits + second.Digits, number.Digits);
        Assert.Equal([0x01, .. first.ScanBytes, .. second.ScanBytes], number.QrPayload.ToArray());
    }

    [Fact]
    public void Between_Always_Shows12GroupsOf5()
    {
        var number = SafetyNumbers.Between(Identity(1, 2), AliceDevice, Identity(3, 4), BobDevice);

        Assert.Equal(60, number.Digits.Length);
        Assert.Equal(12, number.Groups.Count);
        Assert.All(number.Groups, g => Assert.Matches("^[0-9]{5}$", g));
        Assert.Equal(string.Concat(number.Groups), number.Digits);
        Assert.Matches("^[0-9]{5}( [0-9]{5}){11}$", number.Display);
        Assert.Equal(number.Display, number.ToString());
    }

    [Fact]
    public void Between_AnyKeyOrDeviceIdChanges_SafetyNumberAndQrPayloadChange()
    {
        var original = SafetyNumbers.Between(Identity(1, 2), AliceDevice, Identity(3, 4), BobDevice);
        SafetyNumber[] changed =
        [
            SafetyNumbers.Between(Identity(9, 2), AliceDevice, Identity(3, 4), BobDevice), // Alice's IKs
            SafetyNumbers.Between(Identity(1, 9), AliceDevice, Identity(3, 4), BobDevice), // Alice's IKd
            SafetyNumbers.Between(Identity(1, 2), BobDevice, Identity(3, 4), BobDevice), // Alice's device id
            SafetyNumbers.Between(Identity(1, 2), AliceDevice, Identity(9, 4), BobDevice), // Bob's IKs
            SafetyNumbers.Between(Identity(1, 2), AliceDevice, Identity(3, 9), BobDevice), // Bob's IKd
            SafetyNumbers.Between(Identity(1, 2), AliceDevice, Identity(3, 4), AliceDevice), // Bob's device id
        ];

        Assert.All(changed, number =>
        {
            Assert.NotEqual(original.Digits, number.Digits);
            Assert.False(original.MatchesQrPayload(number.QrPayload));
            Assert.False(number.MatchesQrPayload(original.QrPayload));
        });
    }

    [Fact]
    public void MatchesQrPayload_ScannedFromTheOtherSide_IsTrue()
    {
        var alice = SafetyNumbers.Fingerprint(Identity(1, 2), AliceDevice);
        var bob = SafetyNumbers.Fingerprint(Identity(3, 4), BobDevice);
        var shownByBob = SafetyNumbers.Between(bob, alice).QrPayload.ToArray();

        var verifiedByAlice = SafetyNumbers.Between(alice, bob).MatchesQrPayload(shownByBob);

        Assert.True(verifiedByAlice);
        Assert.Equal(SafetyNumbers.QrPayloadLength, shownByBob.Length);
        Assert.Equal(SafetyNumbers.QrVersion, shownByBob[0]);
    }

    [Fact]
    public void MatchesQrPayload_AnyByteModifiedTruncatedOrExtended_IsFalse()
    {
        var number = SafetyNumbers.Between(Identity(1, 2), AliceDevice, Identity(3, 4), BobDevice);
        var scanned = number.QrPayload.ToArray();

        for (var i = 0; i < scanned.Length; i++)
        {
            scanned[i] ^= 0x01;
            Assert.False(number.MatchesQrPayload(scanned), $"byte {i}");
            scanned[i] ^= 0x01;
        }

        Assert.False(number.MatchesQrPayload(scanned.AsSpan(0, scanned.Length - 1)));
        Assert.False(number.MatchesQrPayload([.. scanned, 0x00]));
        Assert.False(number.MatchesQrPayload([]));
        Assert.True(number.MatchesQrPayload(scanned));
    }

    [Fact]
    public void Between_SameDeviceTwice_IsStillSymmetric()
    {
        var a = SafetyNumbers.Fingerprint(Identity(1, 2), AliceDevice);
        var again = SafetyNumbers.Fingerprint(Identity(1, 2), AliceDevice);

        var number = SafetyNumbers.Between(a, again);

        Assert.Equal(a.Digits + a.Digits, number.Digits);
        Assert.True(number.MatchesQrPayload(SafetyNumbers.Between(again, a).QrPayload));
    }

    /// <summary>§6 written again over .NET's own SHA-512, to check the library's code against.</summary>
    private static (string Digits, byte[] Scan) ReferenceFingerprint(DeviceIdentity identity, byte[] deviceId)
    {
        var ik = identity.SigningKey.ToArray();
        var fp = SHA512.HashData([0x00, 0x00, .. ik, .. identity.AgreementKey, .. deviceId]);
        for (var i = 0; i < 5199; i++)
        {
            fp = SHA512.HashData([.. fp, .. ik]);
        }

        var digits = string.Concat(Enumerable.Range(0, 6).Select(g =>
        {
            Span<byte> eight = stackalloc byte[8];
            fp.AsSpan(g * 5, 5).CopyTo(eight[3..]);
            return (BinaryPrimitives.ReadUInt64BigEndian(eight) % 100000).ToString("00000", System.Globalization.CultureInfo.InvariantCulture);
        }));
        return (digits, fp[..32]);
    }

    private static DeviceIdentity Identity(byte signingSeed, byte agreementSeed) =>
        Identity(Enumerable.Repeat(signingSeed, 32).ToArray(), Enumerable.Repeat(agreementSeed, 32).ToArray());

    private static DeviceIdentity Identity(byte[] signingSeed, byte[] agreementSecret)
    {
        var signingPublic = new byte[32];
        var signingSecret = new byte[64];
        var agreementPublic = new byte[32];
        Crypto.Ed25519KeyPairFromSeed(signingSeed, signingPublic, signingSecret);
        Crypto.X25519PublicKey(agreementSecret, agreementPublic);
        return DeviceIdentity.Create(signingPublic, signingSecret, agreementPublic);
    }
}
