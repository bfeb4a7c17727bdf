using Messaging.Protocol.Sessions;

namespace Messaging.Protocol.Tests.Sessions;

public sealed class OutOfOrderTests
{
    [Fact]
    public void TryDecrypt_ReorderedWithinChain_DeliversEachOnce()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        bob.Receive(alice, alice.StartWith(bob, "start"));
        alice.Receive(bob, bob.Send(alice, "ok"));
        var envelopes = Enumerable.Range(0, 10).Select(i => alice.Send(bob, $"m{i}")).ToArray();

        foreach (var i in new[] { 7, 0, 9, 3, 1, 2, 8, 4, 6, 5 })
        {
            Assert.Equal($"m{i}", bob.Receive(alice, envelopes[i]));
        }

        Assert.Equal(0, bob.Record(alice)!.Current!.SkippedKeyCount);
    }

    [Fact]
    public void TryDecrypt_OldChainMessagesAfterRatchetStep_AreDelivered()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        var a0 = alice.StartWith(bob, "a0");
        var a1 = alice.Send(bob, "a1");
        var a2 = alice.Send(bob, "a2");
        Assert.Equal("a2", bob.Receive(alice, a2));
        Assert.Equal("b0", alice.Receive(bob, bob.Send(alice, "b0")));
        var a3 = alice.Send(bob, "a3");
        var a4 = alice.Send(bob, "a4");

        Assert.Equal("a4", bob.Receive(alice, a4));
        Assert.Equal("a0", bob.Receive(alice, a0));
        Assert.Equal("a3", bob.Receive(alice, a3));
        Assert.Equal("a1", bob.Receive(alice, a1));
        Assert.Equal(0, bob.Record(alice)!.Current!.SkippedKeyCount);
    }

    [Fact]
    public void TryDecrypt_SkipOfMoreThanMaxSkip_IsRejectedAndExactlyMaxSkipIsNot()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        bob.Receive(alice, alice.StartWith(bob, "n0"));
        var envelopes = Enumerable.Range(1, 1002).Select(i => alice.Send(bob, $"n{i}")).ToArray();

        // Nr = 1: N = 1002 needs 1001 skipped keys, N = 1001 needs exactly MAX_SKIP = 1000.
        Assert.Null(bob.Receive(alice, envelopes[1001], out var failure));
        Assert.Equal(DecryptFailure.TooManySkipped, failure);
        Assert.Equal(0, bob.Record(alice)!.Current!.SkippedKeyCount);
        Assert.Equal("n1001", bob.Receive(alice, envelopes[1000]));
        Assert.Equal(1000, bob.Record(alice)!.Current!.SkippedKeyCount);
        Assert.Equal("n1002", bob.Receive(alice, envelopes[1001]));
        Assert.Equal("n1", bob.Receive(alice, envelopes[0]));
    }

    [Fact]
    public void TryDecrypt_PreviousChainGapOfMoreThanMaxSkip_IsRejected()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        bob.Receive(alice, alice.StartWith(bob, "start"));
        alice.Receive(bob, bob.Send(alice, "b0"));
        var chain = Enumerable.Range(0, 1002).Select(i => alice.Send(bob, $"c{i}")).ToArray();
        Assert.Equal("c0", bob.Receive(alice, chain[0]));
        Assert.Equal("b1", alice.Receive(bob, bob.Send(alice, "b1")));

        // Alice's next chain says PN = 1002; Bob has Nr = 1 in the old chain: 1001 keys to skip.
        var next = alice.Send(bob, "next");
        Assert.Null(bob.Receive(alice, next, out var failure));
        Assert.Equal(DecryptFailure.TooManySkipped, failure);

        Assert.Equal("c1", bob.Receive(alice, chain[1]));
        Assert.Equal("next", bob.Receive(alice, next));
    }

    [Fact]
    public void TryDecrypt_SameEnvelopeTwice_SecondIsRejected()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        var prekeyMessage = alice.StartWith(bob, "p");
        Assert.Equal("p", bob.Receive(alice, prekeyMessage));
        var reply = bob.Send(alice, "r");
        Assert.Equal("r", alice.Receive(bob, reply));
        var skippedLater = alice.Send(bob, "s");
        var normal = alice.Send(bob, "n");
        Assert.Equal("n", bob.Receive(alice, normal));
        Assert.Equal("s", bob.Receive(alice, skippedLater));

        foreach (var (receiver, sender, envelope) in new[] { (bob, alice, prekeyMessage), (alice, bob, reply), (bob, alice, normal), (bob, alice, skippedLater) })
        {
            Assert.Null(receiver.Receive(sender, envelope, out var failure));
            Assert.Equal(DecryptFailure.NotAuthentic, failure);
        }

        Assert.Equal("after", bob.Receive(alice, alice.Send(bob, "after")));
    }

    [Fact]
    public void TryDecrypt_ReplayAfterRestart_IsRejected()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        var first = alice.StartWith(bob, "p");
        var second = alice.Send(bob, "q");
        Assert.Equal("q", bob.Receive(alice, second));
        Assert.Equal("p", bob.Receive(alice, first));

        bob.Restart();

        Assert.Null(bob.Receive(alice, first));
        Assert.Null(bob.Receive(alice, second));
    }

    [Fact]
    public void TryDecrypt_MoreThan2000SkippedKeys_DropsTheOldestFirst()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        var rounds = new List<byte[][]>();
        for (var round = 0; round < 3; round++)
        {
            var envelopes = Enumerable.Range(0, 1001).Select(i => round == 0 && i == 0 ? alice.StartWith(bob, "r0.0") : alice.Send(bob, $"r{round}.{i}")).ToArray();
            Assert.Equal($"r{round}.1000", bob.Receive(alice, envelopes[1000]));
            Assert.Equal($"b{round}", alice.Receive(bob, bob.Send(alice, $"b{round}")));
            rounds.Add(envelopes);
        }

        Assert.Equal(2000, bob.Record(alice)!.Current!.SkippedKeyCount);
        Assert.Null(bob.Receive(alice, rounds[0][999]));
        Assert.Null(bob.Receive(alice, rounds[0][0]));
        Assert.Equal("r1.0", bob.Receive(alice, rounds[1][0]));
        Assert.Equal("r2.999", bob.Receive(alice, rounds[2][999]));
    }

    [Fact]
    public void TryDecrypt_SkippedKeyOlderThan30Days_IsRejectedAndYoungerIsNot()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        var late = alice.StartWith(bob, "late");
        var early = alice.Send(bob, "early");
        var stored = TestDevice.T0.AddHours(1);
        Assert.Equal("early", bob.Receive(alice, early, stored));

        Assert.Null(bob.Receive(alice, late, stored + TimeSpan.FromDays(30) + TimeSpan.FromSeconds(1)));
        Assert.Equal("late", bob.Receive(alice, late, stored + TimeSpan.FromDays(30)));
    }

    [Fact]
    public void TryDecrypt_ExpiredSkippedKeys_AreDroppedByTheNextMessage()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        var skipped = alice.StartWith(bob, "skipped");
        Assert.Equal("x", bob.Receive(alice, alice.Send(bob, "x")));
        Assert.Equal(1, bob.Record(alice)!.Current!.SkippedKeyCount);

        var later = TestDevice.T0 + TimeSpan.FromDays(31);
        Assert.Equal("y", bob.Receive(alice, alice.Send(bob, "y"), later));

        Assert.Equal(0, bob.Record(alice)!.Current!.SkippedKeyCount);
        Assert.Null(bob.Receive(alice, skipped, TestDevice.T0));
    }
}
