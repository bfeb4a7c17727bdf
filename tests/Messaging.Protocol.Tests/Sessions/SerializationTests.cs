using System.Reflection;
using System.Text;
using Messaging.Protocol.Keys;
using Messaging.Protocol.Sessions;

namespace Messaging.Protocol.Tests.Sessions;

public sealed class SerializationTests
{
    [Fact]
    public void Restart_MidConversationWithSkippedKeys_ContinuesBothWays()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        var pendingPrekey = alice.StartWith(bob, "p0");
        Assert.Equal("p1", bob.Receive(alice, alice.Send(bob, "p1")));
        var toAlice = new[] { bob.Send(alice, "b0"), bob.Send(alice, "b1") };
        Assert.Equal("b1", alice.Receive(bob, toAlice[1]));

        alice.Restart();
        bob.Restart();

        Assert.Equal("b0", alice.Receive(bob, toAlice[0]));
        Assert.Equal("p0", bob.Receive(alice, pendingPrekey));
        Assert.Equal("a", bob.Receive(alice, alice.Send(bob, "a")));
        Assert.Equal("b", alice.Receive(bob, bob.Send(alice, "b")));
        Assert.Equal(bob.Identity, alice.Store.LoadIdentity(bob.Id));
        Assert.Equal(3, bob.Store.OneTimePrekeyCount);
    }

    [Fact]
    public void Restart_BeforeTheFirstReply_KeepsSendingThePrekeyHeader()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        var first = alice.StartWith(bob, "1");

        alice.Restart();

        var second = alice.Send(bob, "2");
        Assert.Equal(first.AsSpan(0, 2 + 1261).ToArray(), second.AsSpan(0, 2 + 1261).ToArray());
        Assert.Equal("2", bob.Receive(alice, second));
        Assert.Equal("1", bob.Receive(alice, first));
    }

    [Fact]
    public void DeviceStateJson_RoundTrip_GivesTheSameState()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        bob.Receive(alice, alice.StartWith(bob, "hi"));

        var json = DeviceStateJson.Serialize(bob.Store.Export());
        using var restored = InMemoryProtocolStore.Restore(DeviceStateJson.Deserialize(json));

        Assert.Equal(json, DeviceStateJson.Serialize(restored.Export()));
        Assert.Contains("\"version\":1", Encoding.UTF8.GetString(json), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Restore_UnknownStateVersion_Throws(int version)
    {
        using var bob = TestDevice.Create("bob");
        var state = bob.Store.Export() with { Version = version };

        Assert.Throws<FormatException>(() => InMemoryProtocolStore.Restore(state));
    }

    [Fact]
    public void Restore_UnknownSessionVersionOrBadLengths_Throws()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        bob.Receive(alice, alice.StartWith(bob, "hi"));
        var state = bob.Store.Export();
        var record = state.Sessions[alice.Id];
        var session = record.Sessions[0];

        SessionRecordState[] broken =
        [
            record with { Sessions = [session with { Version = 2 }] },
            record with { Sessions = [session with { BaseKey = new byte[31] }] },
            record with { Sessions = [session with { Ratchet = session.Ratchet with { RootKey = new byte[16] } }] },
            record with { RetiredBaseKeys = [new byte[3]] },
        ];

        foreach (var bad in broken)
        {
            var badState = state with { Sessions = new Dictionary<Guid, SessionRecordState> { [alice.Id] = bad } };
            Assert.Throws<FormatException>(() => InMemoryProtocolStore.Restore(badState));
        }

        Assert.Throws<FormatException>(() => DeviceStateJson.Deserialize("{\"version\":"u8));
    }

    [Fact]
    public void Wipe_ExportedState_ZeroesEverySecret()
    {
        using var alice = TestDevice.Create("alice");
        using var bob = TestDevice.Create("bob");
        bob.Receive(alice, alice.StartWith(bob, "a"));
        bob.Receive(alice, alice.Send(bob, "c"));
        var state = bob.Store.Export();
        var ratchet = state.Sessions[alice.Id].Sessions[0].Ratchet;
        var secrets = new List<byte[]?> { state.Keys.SigningSeed, state.Keys.AgreementSeed, ratchet.RootKey, ratchet.SendingKeySeed, ratchet.ReceivingChainKey, ratchet.SendingChainKey };
        secrets.AddRange(state.SignedPrekeys.Select(k => k.Seed));
        secrets.AddRange(state.OneTimePrekeys.Select(k => k.Seed));
        secrets.AddRange(state.KemPrekeys.Select(k => k.Seed));
        Assert.All(secrets, s => Assert.Contains(s!, b => b != 0));

        state.Wipe();

        Assert.All(secrets, s => Assert.All(s!, b => Assert.Equal(0, b)));
    }

    [Fact]
    public void Dispose_DeviceKeys_RefusesFurtherUse()
    {
        var keys = DeviceKeys.Generate();
        keys.Dispose();

        Assert.Throws<ObjectDisposedException>(() => SignedPrekey.Generate(keys, 1));
        Assert.Throws<ObjectDisposedException>(() => KemPrekey.Generate(keys, 1, lastResort: true));
        Assert.Throws<ObjectDisposedException>(() => keys.ExportSecrets());
    }

    [Fact]
    public void PublicApi_KeyAndSessionTypes_ExposeNoSecret()
    {
        Type[] types = [typeof(DeviceKeys), typeof(SignedPrekey), typeof(OneTimePrekey), typeof(KemPrekey), typeof(Session), typeof(SessionRecord), typeof(ProtocolDevice), typeof(InMemoryProtocolStore)];
        string[] words = ["Secret", "Seed", "Export", "Sign", "Private", "Root", "Chain"];

        var exposed = types
            .SelectMany(t => t.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => words.Any(w => m.Name.StartsWith(w, StringComparison.Ordinal) || m.Name.Contains("Export", StringComparison.Ordinal)))
            .Select(m => $"{m.DeclaringType!.Name}.{m.Name}")
            .Where(name => !name.EndsWith(".Signature", StringComparison.Ordinal))
            .ToArray();

        Assert.Empty(exposed);
        Assert.False(typeof(DeviceState).IsPublic);
        Assert.False(typeof(SeededRandomSource).IsPublic);
        Assert.Null(typeof(ProtocolDevice).GetConstructor([typeof(IProtocolStore), typeof(RandomSource)]));
    }

    [Fact]
    public void PublicPrekeys_Create_HoldsPublicPartsThatVerify()
    {
        using var keys = DeviceKeys.Generate();
        using var spk = SignedPrekey.Generate(keys, 1);
        using var lastResort = KemPrekey.Generate(keys, 1, lastResort: true);
        using var opk = OneTimePrekey.Generate(5);
        using var pqOpk = KemPrekey.Generate(keys, 2, lastResort: false);

        var upload = PublicPrekeys.Create(spk, lastResort, [opk], [pqOpk]);

        Assert.True(PrekeySignature.VerifySignedPrekey(keys.Identity, 1, upload.SignedPrekey.PublicKey, upload.SignedPrekey.Signature));
        Assert.True(PrekeySignature.VerifyKemPrekey(keys.Identity, 1, upload.KemLastResortPrekey.PublicKey, upload.KemLastResortPrekey.Signature));
        Assert.True(PrekeySignature.VerifyKemPrekey(keys.Identity, 2, upload.KemOneTimePrekeys[0].PublicKey, upload.KemOneTimePrekeys[0].Signature));
        Assert.Equal(opk.PublicKey.ToArray(), upload.OneTimePrekeys[0].PublicKey);
        Assert.True(upload.KemLastResortPrekey.LastResort);
        Assert.Throws<ArgumentException>(() => PublicPrekeys.Create(spk, pqOpk, [], []));
        Assert.Throws<ArgumentException>(() => PublicPrekeys.Create(spk, lastResort, [], [lastResort]));
        Assert.Throws<ArgumentOutOfRangeException>(() => OneTimePrekey.Generate(uint.MaxValue));
    }
}
