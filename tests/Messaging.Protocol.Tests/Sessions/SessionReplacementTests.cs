using Messaging.Protocol.Sessions;

namespace Messaging.Protocol.Tests.Sessions;

public sealed class SessionReplacementTests
{
    [Fact]
    public void TryDecrypt_NewPrekeyMessageFromKnownDevice_ReplacesTheCurrentSession()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        bob.Receive(alice, alice.StartWith(bob, "old"));
        alice.Receive(bob, bob.Send(alice, "old reply"));
        var oldSession = bob.Record(alice)!.Current!;

        // Alice lost her session (§5.4): she starts a new one and sends a "could not decrypt" notice.
        var notice = Guid.NewGuid();
        Assert.True(alice.Device.TryEncryptFor(bob.TakeBundle(), PlaintextKind.CouldNotDecrypt, DecryptedMessage.MessageIdBody(notice), TestDevice.T0, out var envelope, out _));
        Assert.True(bob.Device.TryDecrypt(alice.Id, envelope, TestDevice.T0, out var message));

        Assert.True(message.StartedSession);
        Assert.Equal(notice, message.MessageId);
        var current = bob.Record(alice)!.Current!;
        Assert.NotSame(oldSession, current);
        Assert.Equal(envelope.AsSpan(2 + 129, 32).ToArray(), current.BaseKey.ToArray());
        Assert.True(alice.Record(bob)!.Current!.SendsPrekeyMessages);
        Assert.Equal("resent", alice.Receive(bob, bob.Send(alice, "resent")));
        Assert.False(alice.Record(bob)!.Current!.SendsPrekeyMessages);
    }

    [Fact]
    public void TryDecrypt_MessageInFlightUnderThePreviousSession_StillDecrypts()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        bob.Receive(alice, alice.StartWith(bob, "old"));
        alice.Receive(bob, bob.Send(alice, "old reply"));
        var inFlightToBob = alice.Send(bob, "in flight to bob");
        var inFlightToAlice = bob.Send(alice, "in flight to alice");

        Assert.Equal("new", bob.Receive(alice, alice.StartWith(bob, "new")));

        Assert.Equal("in flight to bob", bob.Receive(alice, inFlightToBob));
        Assert.Equal("in flight to alice", alice.Receive(bob, inFlightToAlice));
        Assert.Null(bob.Receive(alice, inFlightToBob));
    }

    [Fact]
    public void TryDecrypt_RepeatedPrekeyHeaderInAnyOrder_UsesOneSessionAndOnePrekey()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        var envelopes = new[] { alice.StartWith(bob, "p0"), alice.Send(bob, "p1"), alice.Send(bob, "p2") };
        var opks = bob.Store.OneTimePrekeyCount;

        Assert.Equal("p2", bob.Receive(alice, envelopes[2]));
        Assert.Equal("p0", bob.Receive(alice, envelopes[0]));
        Assert.Equal("p1", bob.Receive(alice, envelopes[1]));

        Assert.Single(bob.Record(alice)!.Sessions);
        Assert.Equal(opks - 1, bob.Store.OneTimePrekeyCount);
    }

    [Fact]
    public void TryDecrypt_ReplayedPrekeyMessageOfADroppedSession_IsRejected()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob", oneTimePrekeys: 0);
        var first = alice.StartWith(bob, "first");
        Assert.Equal("first", bob.Receive(alice, first));

        for (var i = 0; i < SessionRecord.MaxPreviousSessions + 1; i++)
        {
            Assert.Equal($"s{i}", bob.Receive(alice, alice.StartWith(bob, $"s{i}")));
        }

        Assert.Equal(1 + SessionRecord.MaxPreviousSessions, bob.Record(alice)!.Sessions.Count);
        Assert.Null(bob.Receive(alice, first, out var failure));
        Assert.Equal(DecryptFailure.NotAuthentic, failure);
        bob.Restart();
        Assert.Null(bob.Receive(alice, first));
    }

    [Fact]
    public void EncryptFor_AfterANewSessionFromABundle_UsesTheNewSession()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        bob.Receive(alice, alice.StartWith(bob, "one"));
        alice.Receive(bob, bob.Send(alice, "reply"));

        Assert.True(alice.Device.TryStartSession(bob.TakeBundle(), out _));

        var envelope = alice.Send(bob, "two");
        Assert.Equal(0x01, envelope[1]);
        Assert.True(bob.Device.TryDecrypt(alice.Id, envelope, TestDevice.T0, out var message));
        Assert.True(message.StartedSession);
    }
}
