using Messaging.Protocol.Keys;
using Messaging.Protocol.Sessions;

namespace Messaging.Protocol.Tests.Sessions;

public sealed class RandomnessTests
{
    [Fact]
    public void ProtocolDevice_WithSecureRandomness_RoundTripsAndNeverRepeatsAnEnvelope()
    {
        using var aliceStore = new InMemoryProtocolStore(DeviceKeys.Generate());
        using var bobStore = new InMemoryProtocolStore(DeviceKeys.Generate());
        var bobKeys = bobStore.LocalKeys;
        var spk = SignedPrekey.Generate(bobKeys, 1);
        var pq = KemPrekey.Generate(bobKeys, 1, lastResort: true);
        var bundle = new PrekeyBundle(Guid.NewGuid(), bobKeys.Identity.ToArray(), spk.ToPublic(), null, pq.ToPublic());
        bobStore.AddSignedPrekey(spk);
        bobStore.AddKemPrekey(pq);
        var alice = new ProtocolDevice(aliceStore);
        var bob = new ProtocolDevice(bobStore);
        var aliceId = Guid.NewGuid();

        Assert.True(alice.TryEncryptFor(bundle, PlaintextKind.Content, "x"u8, TestDevice.T0, out var first, out _));
        Assert.True(alice.TryStartSession(bundle, out _));
        var second = alice.EncryptFor(bundle.DeviceId, PlaintextKind.Content, "x"u8, TestDevice.T0);

        Assert.NotEqual(first.AsSpan(2 + 129, 32).ToArray(), second.AsSpan(2 + 129, 32).ToArray());
        Assert.True(bob.TryDecrypt(aliceId, first, TestDevice.T0, out var m1));
        Assert.True(bob.TryDecrypt(aliceId, second, TestDevice.T0, out var m2));
        Assert.Equal("x"u8.ToArray(), m1.Body.ToArray());
        Assert.Equal("x"u8.ToArray(), m2.Body.ToArray());
        Assert.True(alice.TryDecrypt(bundle.DeviceId, bob.EncryptFor(aliceId, PlaintextKind.Content, "y"u8, TestDevice.T0), TestDevice.T0, out var reply));
        Assert.Equal("y"u8.ToArray(), reply.Body.ToArray());
    }

    [Fact]
    public void EncryptFor_SameSeedsAndInputs_GivesTheSameEnvelopes()
    {
        byte[][] Run()
        {
            using var alice = TestDevice.Create("alice");
            using var bob = TestDevice.Create("bob");
            var first = alice.StartWith(bob, "one");
            bob.Receive(alice, first);
            var reply = bob.Send(alice, "two");
            alice.Receive(bob, reply);
            return [first, reply, alice.Send(bob, "three")];
        }

        var a = Run();
        var b = Run();

        Assert.Equal(a, b);
    }

    [Fact]
    public void SeededRandomSource_SameSeed_GivesTheSameStreamWhateverTheReadSizes()
    {
        var whole = new byte[200];
        new SeededRandomSource("seed"u8).Fill(whole);
        var pieces = new SeededRandomSource("seed"u8);
        var parts = new byte[200];
        pieces.Fill(parts.AsSpan(0, 1));
        pieces.Fill(parts.AsSpan(1, 63));
        pieces.Fill(parts.AsSpan(64, 100));
        pieces.Fill(parts.AsSpan(164));
        var other = new byte[200];
        new SeededRandomSource("seed2"u8).Fill(other);

        Assert.Equal(whole, parts);
        Assert.NotEqual(whole, other);
    }
}
