using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Messaging.Protocol.Keys;
using Messaging.Protocol.Primitives;
using Messaging.Protocol.Sessions;

namespace Messaging.Protocol.Tests.Vectors;

/// <summary>The devices of a scripted exchange: their JSON form, their randomness, their live state.</summary>
internal static partial class SessionScript
{
    private static JsonObject DeviceJson(LiveDevice device)
    {
        var spec = device.Spec;
        return new JsonObject
        {
            ["deviceId"] = spec.Id.ToString("D"),
            ["signingSeed"] = Hex(spec.SigningSeed),
            ["agreementSeed"] = Hex(spec.AgreementSeed),
            ["randomSeed"] = Hex(spec.RandomSeed),
            ["identity"] = Hex(device.Identity.Encoded),
            ["signedPrekey"] = spec.SignedPrekey is { } spk
                ? new JsonObject { ["id"] = spk.Id, ["seed"] = Hex(spk.Seed), ["publicKey"] = Hex(X25519Public(spk.Seed)) }
                : null,
            ["oneTimePrekeys"] = new JsonArray([.. spec.OneTimePrekeys.Select(k => (JsonNode)new JsonObject
            {
                ["id"] = k.Id,
                ["seed"] = Hex(k.Seed),
                ["publicKey"] = Hex(X25519Public(k.Seed)),
            })]),
            ["kemPrekeys"] = new JsonArray([.. spec.KemPrekeys.Select(k => (JsonNode)new JsonObject
            {
                ["id"] = k.Id,
                ["seed"] = Hex(k.Seed),
                ["lastResort"] = k.LastResort,
            })]),
        };
    }

    private static DeviceSpec DeviceFromJson(string name, JsonNode node) => new(
        name,
        Guid.Parse((string)node["deviceId"]!),
        FromHex(node["signingSeed"]),
        FromHex(node["agreementSeed"]),
        FromHex(node["randomSeed"]),
        node["signedPrekey"] is { } spk ? ((uint)spk["id"]!, FromHex(spk["seed"])) : null,
        [.. node["oneTimePrekeys"]!.AsArray().Select(k => ((uint)k!["id"]!, FromHex(k["seed"])))],
        [.. node["kemPrekeys"]!.AsArray().Select(k => ((uint)k!["id"]!, FromHex(k["seed"]), (bool)k["lastResort"]!))]);

    /// <summary>The committed outputs of a device's inputs: its identity and its X25519 prekeys' public keys.</summary>
    private static void CheckPublicParts(LiveDevice device, JsonNode node, string at)
    {
        Assert.True(FromHex(node["identity"]).AsSpan().SequenceEqual(device.Identity.Encoded), $"{at}.identity");
        if (node["signedPrekey"] is { } spk)
        {
            Assert.True(FromHex(spk["publicKey"]).AsSpan().SequenceEqual(X25519Public(FromHex(spk["seed"]))), $"{at}.signedPrekey.publicKey");
        }

        foreach (var k in node["oneTimePrekeys"]!.AsArray())
        {
            Assert.True(FromHex(k!["publicKey"]).AsSpan().SequenceEqual(X25519Public(FromHex(k["seed"]))), $"{at}.oneTimePrekeys[{k["id"]}].publicKey");
        }
    }

    private static byte[] Dh(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> publicKey)
    {
        var shared = new byte[32];
        Assert.True(Crypto.TryX25519(secret, publicKey, shared));
        return shared;
    }

    private static byte[] X25519Public(ReadOnlySpan<byte> secret)
    {
        var publicKey = new byte[32];
        Crypto.X25519PublicKey(secret, publicKey);
        return publicKey;
    }

    /// <summary>The parts of an envelope a case spells out: the ratchet header and the padded plaintext's length.</summary>
    private sealed record RatchetHeader(int Length, byte[] RatchetKey, uint PreviousCounter, uint Counter, int PaddedLength)
    {
        public static RatchetHeader Of(byte[] envelope)
        {
            var length = 2 + (envelope[1] == 0x01 ? PrekeyHeader.Length : 0) + 32 + 4 + 4;
            Assert.True(envelope.Length >= length + 64 + Sizes.AeadTag, "envelope too short");
            var ratchet = envelope.AsSpan(length - 40, 40);
            return new RatchetHeader(
                length,
                ratchet[..32].ToArray(),
                BinaryPrimitives.ReadUInt32BigEndian(ratchet[32..]),
                BinaryPrimitives.ReadUInt32BigEndian(ratchet[36..]),
                envelope.Length - length - Sizes.AeadTag);
        }
    }

    /// <summary>One device built from its inputs: keys, prekeys in an in-memory store, seeded randomness that records its draws.</summary>
    private sealed class LiveDevice : IDisposable
    {
        private readonly SignedPrekeyPublic? signedPrekey;
        private readonly Dictionary<uint, OneTimePrekeyPublic> oneTimePrekeys = [];
        private readonly Dictionary<uint, KemPrekeyPublic> kemPrekeys = [];

        public LiveDevice(DeviceSpec spec)
        {
            Spec = spec;
            Random = new RecordingRandomSource(new SeededRandomSource(spec.RandomSeed));
            var keys = DeviceKeys.FromSeeds(spec.SigningSeed, spec.AgreementSeed);
            Store = new InMemoryProtocolStore(keys);
            if (spec.SignedPrekey is { } spk)
            {
                var prekey = SignedPrekey.FromSeed(keys, spk.Id, spk.Seed);
                signedPrekey = prekey.ToPublic();
                Store.AddSignedPrekey(prekey);
            }

            foreach (var (id, seed) in spec.OneTimePrekeys)
            {
                var prekey = OneTimePrekey.FromSeed(id, seed);
                oneTimePrekeys.Add(id, prekey.ToPublic());
                Store.AddOneTimePrekey(prekey);
            }

            foreach (var (id, seed, lastResort) in spec.KemPrekeys)
            {
                var prekey = KemPrekey.FromSeed(keys, id, lastResort, seed);
                kemPrekeys.Add(id, prekey.ToPublic());
                Store.AddKemPrekey(prekey);
            }

            Device = new ProtocolDevice(Store, Random);
        }

        public DeviceSpec Spec { get; }

        public RecordingRandomSource Random { get; }

        public InMemoryProtocolStore Store { get; }

        public ProtocolDevice Device { get; }

        public DeviceIdentity Identity => Store.LocalKeys.Identity;

        /// <summary>What the key directory would hand out: the signed prekey and the named one-time and ML-KEM prekeys.</summary>
        public PrekeyBundle Bundle(uint? oneTimeId, uint kemId) => new(
            Spec.Id,
            Identity.ToArray(),
            signedPrekey ?? throw new InvalidOperationException($"{Spec.Name} has no signed prekey"),
            oneTimeId is { } id ? oneTimePrekeys[id] : null,
            kemPrekeys[kemId]);

        public Session CurrentSession(LiveDevice peer) => Store.LoadSession(peer.Spec.Id)?.Current ?? throw new InvalidOperationException("no session");

        public void Dispose() => Store.Dispose();
    }

    private sealed class LiveDevices(IEnumerable<DeviceSpec> specs) : IDisposable
    {
        private readonly List<LiveDevice> devices = [.. specs.Select(s => new LiveDevice(s))];

        public IReadOnlyList<LiveDevice> All => devices;

        public LiveDevice this[string name] => devices.Single(d => d.Spec.Name == name);

        public void Dispose() => devices.ForEach(d => d.Dispose());
    }

    /// <summary>Passes a source's bytes through and keeps a copy of each draw.</summary>
    private sealed class RecordingRandomSource(RandomSource inner) : RandomSource
    {
        public List<byte[]> Draws { get; } = [];

        public override void Fill(Span<byte> buffer)
        {
            inner.Fill(buffer);
            Draws.Add(buffer.ToArray());
        }
    }

    /// <summary>Gives exactly the bytes it was made with, then fails.</summary>
    private sealed class ReplayRandomSource(byte[] bytes) : RandomSource
    {
        private int used;

        public override void Fill(Span<byte> buffer)
        {
            bytes.AsSpan(used, buffer.Length).CopyTo(buffer);
            used += buffer.Length;
        }
    }
}
