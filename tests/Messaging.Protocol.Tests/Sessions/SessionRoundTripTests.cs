using System.Text;
using Messaging.Protocol.Primitives;
using Messaging.Protocol.Sessions;

namespace Messaging.Protocol.Tests.Sessions;

public sealed class SessionRoundTripTests
{
    private const int PrekeyEnvelopeHeader = 2 + 1261 + 40;
    private const int MessageEnvelopeHeader = 2 + 40;

    [Fact]
    public void TryDecrypt_FirstPrekeyMessage_DeliversContentAndStartsSession()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");

        var envelope = alice.StartWith(bob, "bonjour");

        Assert.Equal(0x01, envelope[0]);
        Assert.Equal(0x01, envelope[1]);
        Assert.True(bob.Device.TryDecrypt(alice.Id, envelope, TestDevice.T0, out var message, out var failure));
        Assert.Equal(DecryptFailure.None, failure);
        Assert.Equal(PlaintextKind.Content, message.Kind);
        Assert.Equal("bonjour", Encoding.UTF8.GetString(message.Body.Span));
        Assert.True(message.StartedSession);
        Assert.True(bob.Device.HasSession(alice.Id));
        Assert.Equal(alice.Identity, bob.Store.LoadIdentity(alice.Id));
    }

    [Fact]
    public void TryDecrypt_ConversationWithRatchetSteps_RoundTripsBothDirections()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        Assert.Equal("a0", bob.Receive(alice, alice.StartWith(bob, "a0")));
        var ratchetKeys = new HashSet<string>();

        for (var turn = 1; turn <= 6; turn++)
        {
            var (from, to) = turn % 2 == 1 ? (bob, alice) : (alice, bob);
            for (var i = 0; i < 3; i++)
            {
                var envelope = from.Send(to, $"{from.Name} {turn}.{i}");
                Assert.Equal(0x02, envelope[1]);
                ratchetKeys.Add(Convert.ToHexString(envelope, 2, 32));
                Assert.Equal($"{from.Name} {turn}.{i}", to.Receive(from, envelope));
            }
        }

        // Every turn is a DH ratchet step: a new ratchet key per turn, the same within a turn.
        Assert.Equal(6, ratchetKeys.Count);
    }

    [Fact]
    public void EncryptFor_UntilTheFirstReply_SendsPrekeyMessagesThenNormalOnes()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        var first = alice.StartWith(bob, "1");
        var second = alice.Send(bob, "2");
        Assert.Equal(0x01, second[1]);
        Assert.Equal(first.AsSpan(2, 1261).ToArray(), second.AsSpan(2, 1261).ToArray());
        Assert.Equal("1", bob.Receive(alice, first));
        Assert.Equal("2", bob.Receive(alice, second));

        var reply = bob.Send(alice, "r");
        Assert.Equal(0x02, reply[1]);
        Assert.True(alice.Record(bob)!.Current!.SendsPrekeyMessages);
        Assert.Equal("r", alice.Receive(bob, reply));

        Assert.False(alice.Record(bob)!.Current!.SendsPrekeyMessages);
        Assert.Equal(0x02, alice.Send(bob, "3")[1]);
    }

    [Theory]
    [InlineData(0, 64)]
    [InlineData(62, 64)]
    [InlineData(63, 128)]
    [InlineData(64, 128)]
    [InlineData(1000, 1024)]
    public void Encrypt_BodyLength_PadsToMultipleOf64(int bodyLength, int paddedLength)
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        var body = Enumerable.Range(0, bodyLength).Select(i => (byte)i).ToArray();
        Assert.True(alice.Device.TryEncryptFor(bob.TakeBundle(), PlaintextKind.Content, body, TestDevice.T0, out var first, out _));
        Assert.Equal(PrekeyEnvelopeHeader + paddedLength + Sizes.AeadTag, first.Length);
        Assert.True(bob.Device.TryDecrypt(alice.Id, first, TestDevice.T0, out var message));
        Assert.Equal(body, message.Body.ToArray());

        var reply = bob.Device.EncryptFor(alice.Id, PlaintextKind.Content, body, TestDevice.T0);
        Assert.Equal(MessageEnvelopeHeader + paddedLength + Sizes.AeadTag, reply.Length);
        Assert.True(alice.Device.TryDecrypt(bob.Id, reply, TestDevice.T0, out message));
        Assert.Equal(body, message.Body.ToArray());
    }

    [Theory]
    [InlineData(PlaintextKind.Decrypted)]
    [InlineData(PlaintextKind.CouldNotDecrypt)]
    public void TryDecrypt_ReceiptOrNotice_ReturnsKindAndMessageId(PlaintextKind kind)
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        var messageId = Guid.Parse("0194f1a2-7b3c-7d4e-8f50-123456789abc");
        Assert.True(alice.Device.TryEncryptFor(bob.TakeBundle(), kind, DecryptedMessage.MessageIdBody(messageId), TestDevice.T0, out var envelope, out _));

        Assert.True(bob.Device.TryDecrypt(alice.Id, envelope, TestDevice.T0, out var message));
        Assert.Equal(kind, message.Kind);
        Assert.Equal(messageId, message.MessageId);
        Assert.Equal(Convert.FromHexString("0194f1a27b3c7d4e8f50123456789abc"), message.Body.ToArray());
    }

    [Theory]
    [InlineData(PlaintextKind.Decrypted, 15)]
    [InlineData(PlaintextKind.CouldNotDecrypt, 17)]
    [InlineData((PlaintextKind)4, 16)]
    [InlineData((PlaintextKind)0, 16)]
    public void EncryptFor_BadKindOrMessageIdLength_Throws(PlaintextKind kind, int length)
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        bob.Receive(alice, alice.StartWith(bob, "hi"));

        Assert.ThrowsAny<ArgumentException>(() => alice.Device.EncryptFor(bob.Id, kind, new byte[length], TestDevice.T0));
        Assert.ThrowsAny<ArgumentException>(() => alice.Device.TryEncryptFor(bob.TakeBundle(), kind, new byte[length], TestDevice.T0, out _, out _));
        Assert.Single(alice.Record(bob)!.Sessions);
    }

    [Fact]
    public void EncryptFor_DeviceWithoutSession_Throws()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");

        Assert.Throws<InvalidOperationException>(() => alice.Send(bob, "hi"));
        Assert.False(alice.Device.HasSession(bob.Id));
    }

    [Fact]
    public void TryDecrypt_NormalMessageWithoutSession_FailsWithNoSession()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        using var carol = TestDevice.Create("carol");
        bob.Receive(alice, alice.StartWith(bob, "hi"));
        var reply = bob.Send(alice, "to alice");

        Assert.Null(carol.Receive(bob, reply, out var failure));
        Assert.Equal(DecryptFailure.NoSession, failure);
    }

    [Fact]
    public void TryDecrypt_PrekeyMessage_DeletesOnlyTheUsedOneTimePrekeys()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob", oneTimePrekeys: 2);
        var (opks, kems) = (bob.Store.OneTimePrekeyCount, bob.Store.KemPrekeyCount);
        var envelope = alice.StartWith(bob, "hi");
        Assert.Equal((opks, kems), (bob.Store.OneTimePrekeyCount, bob.Store.KemPrekeyCount));

        Assert.Equal("hi", bob.Receive(alice, envelope));

        Assert.Equal((opks - 1, kems - 1), (bob.Store.OneTimePrekeyCount, bob.Store.KemPrekeyCount));
        Assert.Null(bob.Store.LoadOneTimePrekey(100));
        Assert.Null(bob.Store.LoadKemPrekey(200));
        Assert.NotNull(bob.Store.LoadKemPrekey(TestDevice.LastResortId));
    }

    [Fact]
    public void TryDecrypt_LastResortBundleWithoutOneTimePrekey_KeepsLastResortKeyForTheNextInitiator()
    {
        using var alice = TestDevice.Create("alice");
        using var carol = TestDevice.Create("carol");
        using var bob = TestDevice.Create("bob", oneTimePrekeys: 0);
        var kems = bob.Store.KemPrekeyCount;

        Assert.Equal("from alice", bob.Receive(alice, alice.StartWith(bob, "from alice")));
        Assert.Equal("from carol", bob.Receive(carol, carol.StartWith(bob, "from carol")));

        Assert.Equal(kems, bob.Store.KemPrekeyCount);
        Assert.Equal("to carol", carol.Receive(bob, bob.Send(carol, "to carol")));
        Assert.Equal("to alice", alice.Receive(bob, bob.Send(alice, "to alice")));
    }

    [Fact]
    public void TryDecrypt_SimultaneousInitiation_BothSidesKeepDecrypting()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        var fromAlice = alice.StartWith(bob, "a1");
        var fromBob = bob.StartWith(alice, "b1");

        Assert.Equal("a1", bob.Receive(alice, fromAlice));
        Assert.Equal("b1", alice.Receive(bob, fromBob));
        for (var i = 2; i < 6; i++)
        {
            var a = alice.Send(bob, $"a{i}");
            var b = bob.Send(alice, $"b{i}");
            Assert.Equal($"a{i}", bob.Receive(alice, a));
            Assert.Equal($"b{i}", alice.Receive(bob, b));
        }
    }
}
