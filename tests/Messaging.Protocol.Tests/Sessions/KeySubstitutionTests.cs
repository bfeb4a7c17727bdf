using System.Text.Json;
using Messaging.Protocol.Keys;
using Messaging.Protocol.Sessions;

namespace Messaging.Protocol.Tests.Sessions;

public sealed class KeySubstitutionTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>libsodium's blacklist of X25519 points of small order (RFC 7748 §6.1 "all-zero" check), and one with the ignored top bit set.</summary>
    public static TheoryData<string> LowOrderPoints => new(
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000080");

    [Fact]
    public void TryStartSession_SignedPrekeySignatureWrong_IsRefused()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        var bundle = bob.TakeBundle();
        var badSignature = bundle with { SignedPrekey = bundle.SignedPrekey with { Signature = TestDevice.Flip(bundle.SignedPrekey.Signature, 5) } };
        var otherKey = bundle with { SignedPrekey = bundle.SignedPrekey with { PublicKey = TestDevice.Flip(bundle.SignedPrekey.PublicKey, 0) } };
        var otherId = bundle with { SignedPrekey = bundle.SignedPrekey with { Id = bundle.SignedPrekey.Id + 1 } };

        foreach (var substituted in new[] { badSignature, otherKey, otherId })
        {
            Assert.False(alice.Device.TryStartSession(substituted, out var failure));
            Assert.Equal(SessionFailure.InvalidBundle, failure);
        }

        Assert.False(alice.Device.HasSession(bob.Id));
        Assert.Null(alice.Store.LoadIdentity(bob.Id));
        Assert.True(alice.Device.TryStartSession(bundle, out _));
    }

    [Fact]
    public void TryStartSession_PqPrekeySignatureWrong_IsRefused()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        using var mallory = TestDevice.Create("mallory");
        var bundle = bob.TakeBundle();
        var malloryPq = mallory.TakeBundle().PqPrekey;
        var substitutions = new[]
        {
            bundle with { PqPrekey = bundle.PqPrekey with { Signature = TestDevice.Flip(bundle.PqPrekey.Signature, 63) } },
            bundle with { PqPrekey = bundle.PqPrekey with { PublicKey = TestDevice.Flip(bundle.PqPrekey.PublicKey, 600) } },
            bundle with { PqPrekey = malloryPq with { Id = bundle.PqPrekey.Id } },
            bundle with { PqPrekey = bundle.PqPrekey with { Id = bundle.PqPrekey.Id + 1 } },
        };

        foreach (var substituted in substitutions)
        {
            Assert.False(alice.Device.TryStartSession(substituted, out var failure));
            Assert.Equal(SessionFailure.InvalidBundle, failure);
        }

        Assert.False(alice.Device.HasSession(bob.Id));
    }

    [Fact]
    public void TryVerify_MalformedBundles_Fail()
    {
        using var bob = TestDevice.Create("bob");
        var bundle = bob.TakeBundle();
        Assert.True(bundle.TryVerify(out var verified));
        Assert.Equal(bob.Identity, verified.Identity);

        var malformed = new[]
        {
            bundle with { Identity = TestDevice.Flip(bundle.Identity, 100) },
            bundle with { Identity = bundle.Identity[..128] },
            bundle with { Identity = null! },
            bundle with { SignedPrekey = null! },
            bundle with { PqPrekey = null! },
            bundle with { SignedPrekey = bundle.SignedPrekey with { Id = uint.MaxValue } },
            bundle with { PqPrekey = bundle.PqPrekey with { Id = uint.MaxValue } },
            bundle with { OneTimePrekey = bundle.OneTimePrekey! with { Id = uint.MaxValue } },
            bundle with { OneTimePrekey = bundle.OneTimePrekey! with { PublicKey = new byte[31] } },
            bundle with { OneTimePrekey = bundle.OneTimePrekey! with { PublicKey = null! } },
        };

        foreach (var bad in malformed)
        {
            Assert.False(bad.TryVerify(out _));
        }
    }

    [Fact]
    public void TryStartSession_IdentityDiffersFromPinned_IsRefusedUntilTrusted()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        using var mallory = TestDevice.Create("mallory");
        bob.Receive(alice, alice.StartWith(bob, "hi"));
        var impostor = mallory.TakeBundle() with { DeviceId = bob.Id };

        Assert.False(alice.Device.TryStartSession(impostor, out var failure));
        Assert.Equal(SessionFailure.UntrustedIdentity, failure);
        Assert.False(alice.Device.TryEncryptFor(impostor, PlaintextKind.Content, "x"u8, TestDevice.T0, out _, out failure));
        Assert.Equal(SessionFailure.UntrustedIdentity, failure);
        Assert.Equal(bob.Identity, alice.Store.LoadIdentity(bob.Id));
        Assert.Equal("still bob", bob.Receive(alice, alice.Send(bob, "still bob")));

        alice.Device.TrustIdentity(bob.Id, mallory.Identity);

        Assert.False(alice.Device.HasSession(bob.Id));
        Assert.True(alice.Device.TryStartSession(impostor, out failure));
        Assert.Equal(mallory.Identity, alice.Record(bob)!.Current!.RemoteIdentity);
    }

    [Fact]
    public void TryDecrypt_PrekeyMessageWithChangedIdentity_IsRefusedUntilTrusted()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        using var mallory = TestDevice.Create("mallory");
        bob.Receive(alice, alice.StartWith(bob, "hi"));
        var forged = mallory.StartWith(bob, "I am alice");

        Assert.Null(bob.Receive(alice, forged, out var failure));
        Assert.Equal(DecryptFailure.UntrustedIdentity, failure);
        Assert.Equal("real alice", bob.Receive(alice, alice.Send(bob, "real alice")));
        Assert.True(ProtocolDevice.TryReadSenderIdentity(forged, out var claimed));
        Assert.Equal(mallory.Identity, claimed);

        bob.Device.TrustIdentity(alice.Id, claimed);

        Assert.Equal("I am alice", bob.Receive(alice, forged));
    }

    [Fact]
    public void TrustIdentity_SameIdentity_KeepsTheSession()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        bob.Receive(alice, alice.StartWith(bob, "hi"));

        bob.Device.TrustIdentity(alice.Id, alice.Identity);

        Assert.Equal("still", bob.Receive(alice, alice.Send(bob, "still")));
    }

    [Theory]
    [MemberData(nameof(LowOrderPoints))]
    public void TryStartSession_LowOrderSignedPrekey_IsRefused(string point)
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        var key = Convert.FromHexString(point);
        var bundle = bob.TakeBundle();
        var signature = bob.Store.LocalKeys.Sign(PrekeySignature.SignedPrekeyMessage(bundle.SignedPrekey.Id, key));
        var lowOrder = bundle with { SignedPrekey = new SignedPrekeyPublic(bundle.SignedPrekey.Id, key, signature) };
        Assert.True(lowOrder.TryVerify(out _));

        Assert.False(alice.Device.TryStartSession(lowOrder, out var failure));
        Assert.Equal(SessionFailure.InvalidKey, failure);
        Assert.False(alice.Device.HasSession(bob.Id));
    }

    [Theory]
    [MemberData(nameof(LowOrderPoints))]
    public void TryStartSession_LowOrderOneTimePrekey_IsRefused(string point)
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        var bundle = bob.TakeBundle();
        var lowOrder = bundle with { OneTimePrekey = bundle.OneTimePrekey! with { PublicKey = Convert.FromHexString(point) } };

        Assert.False(alice.Device.TryStartSession(lowOrder, out var failure));
        Assert.Equal(SessionFailure.InvalidKey, failure);
    }

    [Theory]
    [MemberData(nameof(LowOrderPoints))]
    public void TryDecrypt_LowOrderEphemeralKey_IsRefusedAndConsumesNothing(string point)
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        var envelope = alice.StartWith(bob, "hi");
        var lowOrder = (byte[])envelope.Clone();
        Convert.FromHexString(point).CopyTo(lowOrder, 2 + 129);

        Assert.Null(bob.Receive(alice, lowOrder, out var failure));
        Assert.Equal(DecryptFailure.InvalidKey, failure);
        Assert.Equal("hi", bob.Receive(alice, envelope));
    }

    [Theory]
    [MemberData(nameof(LowOrderPoints))]
    public void TryDecrypt_LowOrderRatchetKey_IsRefused(string point)
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        bob.Receive(alice, alice.StartWith(bob, "hi"));
        var envelope = bob.Send(alice, "reply");
        var lowOrder = (byte[])envelope.Clone();
        Convert.FromHexString(point).CopyTo(lowOrder, 2);

        Assert.Null(alice.Receive(bob, lowOrder, out var failure));
        Assert.Equal(DecryptFailure.InvalidKey, failure);
        Assert.Equal("reply", alice.Receive(bob, envelope));
    }

    [Fact]
    public void PrekeyBundle_AsJson_UsesTheDirectoryFieldNames()
    {
        using var bob = TestDevice.Create("bob");
        var json = JsonSerializer.Serialize(bob.TakeBundle(), Web);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;

        Assert.Equal(["deviceId", "identity", "signedPrekey", "oneTimePrekey", "pqPrekey"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["id", "publicKey", "signature"], root.GetProperty("signedPrekey").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["id", "publicKey"], root.GetProperty("oneTimePrekey").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["id", "publicKey", "signature", "lastResort"], root.GetProperty("pqPrekey").EnumerateObject().Select(p => p.Name));
        var parsed = JsonSerializer.Deserialize<PrekeyBundle>(json, Web)!;
        Assert.True(parsed.TryVerify(out _));
    }
}
