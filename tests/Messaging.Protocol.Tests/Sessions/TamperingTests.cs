using Messaging.Protocol.Sessions;

namespace Messaging.Protocol.Tests.Sessions;

public sealed class TamperingTests
{
    [Theory]
    [InlineData(0x01)]
    [InlineData(0x80)]
    public void TryDecrypt_EveryByteOfPrekeyMessageFlipped_IsRejectedAndChangesNothing(byte mask)
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        var envelope = alice.StartWith(bob, "the original");
        var prekeys = (bob.Store.OneTimePrekeyCount, bob.Store.KemPrekeyCount);

        for (var i = 0; i < envelope.Length; i++)
        {
            Assert.False(bob.Device.TryDecrypt(alice.Id, TestDevice.Flip(envelope, i, mask), TestDevice.T0, out _, out var failure), $"byte {i}");
            Assert.NotEqual(DecryptFailure.None, failure);
        }

        Assert.False(bob.Device.HasSession(alice.Id));
        Assert.Null(bob.Store.LoadIdentity(alice.Id));
        Assert.Equal(prekeys, (bob.Store.OneTimePrekeyCount, bob.Store.KemPrekeyCount));
        Assert.Equal("the original", bob.Receive(alice, envelope));
    }

    [Theory]
    [InlineData(0x01)]
    [InlineData(0x80)]
    public void TryDecrypt_EveryByteOfMessageFlipped_IsRejectedAndChangesNothing(byte mask)
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        bob.Receive(alice, alice.StartWith(bob, "start"));
        alice.Receive(bob, bob.Send(alice, "reply"));
        var skipped = alice.Send(bob, "skipped");
        var envelope = alice.Send(bob, "the original");
        Assert.Equal(0x02, envelope[1]);

        for (var i = 0; i < envelope.Length; i++)
        {
            Assert.False(bob.Device.TryDecrypt(alice.Id, TestDevice.Flip(envelope, i, mask), TestDevice.T0, out _, out var failure), $"byte {i}");
            Assert.NotEqual(DecryptFailure.None, failure);
        }

        Assert.Equal(0, bob.Record(alice)!.Current!.SkippedKeyCount);
        Assert.Equal("the original", bob.Receive(alice, envelope));
        Assert.Equal("skipped", bob.Receive(alice, skipped));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(-16)]
    [InlineData(-64)]
    [InlineData(1)]
    [InlineData(64)]
    public void TryDecrypt_EnvelopeOfAnotherLength_IsRejected(int delta)
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        bob.Receive(alice, alice.StartWith(bob, "start"));
        var envelope = alice.Send(bob, new string('x', 100));
        var resized = new byte[envelope.Length + delta];
        envelope.AsSpan(0, Math.Min(envelope.Length, resized.Length)).CopyTo(resized);

        Assert.Null(bob.Receive(alice, resized, out var failure));
        Assert.NotEqual(DecryptFailure.None, failure);
        Assert.Equal(new string('x', 100), bob.Receive(alice, envelope));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(41)]
    [InlineData(42 + 79)]
    public void TryDecrypt_TruncatedEnvelope_IsMalformed(int length)
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        bob.Receive(alice, alice.StartWith(bob, "start"));
        var envelope = alice.Send(bob, "x");

        Assert.Null(bob.Receive(alice, envelope[..length], out var failure));
        Assert.Equal(DecryptFailure.Malformed, failure);
    }

    [Fact]
    public void TryDecrypt_PrekeyHeaderSpliceFromAnotherSession_IsRejected()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        using var carol = TestDevice.Create("carol");
        var fromAlice = alice.StartWith(bob, "alice");
        var fromCarol = carol.StartWith(bob, "carol");
        var spliced = (byte[])fromCarol.Clone();
        fromAlice.AsSpan(2, 1261).CopyTo(spliced.AsSpan(2));

        Assert.Null(bob.Receive(alice, spliced, out var failure));
        Assert.Equal(DecryptFailure.NotAuthentic, failure);
        Assert.Equal("alice", bob.Receive(alice, fromAlice));
    }
}
