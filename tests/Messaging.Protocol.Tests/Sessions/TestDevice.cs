using System.Text;
using Messaging.Protocol.Keys;
using Messaging.Protocol.Sessions;

namespace Messaging.Protocol.Tests.Sessions;

/// <summary>
/// A device for the session tests: an in-memory store with a signed prekey, one-time prekeys of both kinds and an
/// ML-KEM last-resort prekey, plus a tiny key directory that hands out bundles the way the server does (§3).
/// Randomness is seeded from the name, so a test run is reproducible.
/// </summary>
internal sealed class TestDevice : IDisposable
{
    public const uint SignedPrekeyId = 7;
    public const uint LastResortId = 1;

    public static readonly DateTimeOffset T0 = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly Queue<OneTimePrekeyPublic> directoryOneTime = new();
    private readonly Queue<KemPrekeyPublic> directoryPq = new();
    private readonly SignedPrekeyPublic signedPrekey;
    private readonly KemPrekeyPublic lastResort;

    private TestDevice(string name, RandomSource random, int oneTimePrekeys)
    {
        Name = name;
        Id = new Guid(SHA(name).AsSpan(0, 16));
        Random = random;
        var keys = DeviceKeys.Generate(random);
        Store = new InMemoryProtocolStore(keys);
        var spk = SignedPrekey.FromSeed(keys, SignedPrekeyId, Bytes(random, 32));
        signedPrekey = spk.ToPublic();
        Store.AddSignedPrekey(spk);
        var pqLastResort = KemPrekey.FromSeed(keys, LastResortId, true, Bytes(random, 64));
        lastResort = pqLastResort.ToPublic();
        Store.AddKemPrekey(pqLastResort);
        for (var i = 0; i < oneTimePrekeys; i++)
        {
            var opk = OneTimePrekey.FromSeed((uint)(100 + i), Bytes(random, 32));
            directoryOneTime.Enqueue(opk.ToPublic());
            Store.AddOneTimePrekey(opk);
            var pq = KemPrekey.FromSeed(keys, (uint)(200 + i), false, Bytes(random, 64));
            directoryPq.Enqueue(pq.ToPublic());
            Store.AddKemPrekey(pq);
        }

        Device = new ProtocolDevice(Store, random);
    }

    public string Name { get; }

    public Guid Id { get; }

    public RandomSource Random { get; }

    public InMemoryProtocolStore Store { get; private set; }

    public ProtocolDevice Device { get; private set; }

    public DeviceIdentity Identity => Store.LocalKeys.Identity;

    public static TestDevice Create(string name, int oneTimePrekeys = 4) =>
        new(name, new SeededRandomSource(Encoding.UTF8.GetBytes(name)), oneTimePrekeys);

    /// <summary>What the directory returns: one OPK and one PQOPK while any are left, else none and the last-resort key.</summary>
    public PrekeyBundle TakeBundle(bool oneTime = true, bool pqOneTime = true) => new(
        Id,
        Identity.ToArray(),
        signedPrekey,
        oneTime && directoryOneTime.Count > 0 ? directoryOneTime.Dequeue() : null,
        pqOneTime && directoryPq.Count > 0 ? directoryPq.Dequeue() : lastResort);

    /// <summary>Starts a session with <paramref name="peer"/> and returns the first (prekey) envelope.</summary>
    public byte[] StartWith(TestDevice peer, string text, bool oneTime = true, bool pqOneTime = true)
    {
        Assert.True(Device.TryEncryptFor(peer.TakeBundle(oneTime, pqOneTime), PlaintextKind.Content, Encoding.UTF8.GetBytes(text), T0, out var envelope, out var failure), failure.ToString());
        return envelope;
    }

    public byte[] Send(TestDevice peer, string text, DateTimeOffset? now = null) =>
        Device.EncryptFor(peer.Id, PlaintextKind.Content, Encoding.UTF8.GetBytes(text), now ?? T0);

    /// <summary>Decrypts and returns the text, or null (with the reason) when the envelope is refused.</summary>
    public string? Receive(TestDevice from, byte[] envelope, out DecryptFailure failure, DateTimeOffset? now = null) =>
        Device.TryDecrypt(from.Id, envelope, now ?? T0, out var message, out failure) ? Encoding.UTF8.GetString(message.Body.Span) : null;

    public string? Receive(TestDevice from, byte[] envelope, DateTimeOffset? now = null) => Receive(from, envelope, out _, now);

    public SessionRecord? Record(TestDevice peer) => Store.LoadSession(peer.Id);

    /// <summary>Saves the whole state as the state JSON and starts again from it, as after a process restart.</summary>
    public void Restart()
    {
        var state = Store.Export();
        var json = DeviceStateJson.Serialize(state);
        state.Wipe();
        Store.Dispose();
        Store = InMemoryProtocolStore.Restore(DeviceStateJson.Deserialize(json), Random);
        Device = new ProtocolDevice(Store, Random);
    }

    public void Dispose() => Store.Dispose();

    public static byte[] Flip(byte[] envelope, int index, byte mask = 0x01)
    {
        var copy = (byte[])envelope.Clone();
        copy[index] ^= mask;
        return copy;
    }

    private static byte[] Bytes(RandomSource random, int count)
    {
        var bytes = new byte[count];
        random.Fill(bytes);
        return bytes;
    }

    private static byte[] SHA(string text) => System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text));
}
