using System.Text.Json.Nodes;
using Messaging.Protocol.Sessions;

namespace Messaging.Protocol.Tests.Vectors;

public sealed partial class VectorGenerator
{
    private const uint SignedPrekeyId = 0x0000002a;
    private const uint OneTimePrekeyId = 0x00a1b2c3;
    private const uint KemOneTimePrekeyId = 0x7f000001;
    private const uint KemLastResortId = 0xfffffffe;

    /// <summary>§4–§5: PQXDH and a short Double Ratchet exchange between seeded devices, with every intermediate key.</summary>
    [VectorSet("sessions.json", "Sessions of docs/protocol.md §4-§5 between seeded devices, one short exchange per case. "
        + "Devices: IKs from the Ed25519 seed signingSeed, IKd = the X25519 secret agreementSeed, prekeys from their seeds (X25519 secrets; "
        + "ML-KEM-768 64-byte seeds d || z); identity is the resulting §2 identity. Randomness: each device reads one stream, "
        + "block i = SHA512(randomSeed || u64be(i)) for i = 0, 1, ..., front to back. Draw order: starting a session, the initiator draws "
        + "EK's secret (32), the ML-KEM encapsulation seed (32, crypto_kem_mlkem768_enc_deterministic) and its first ratchet secret (32); "
        + "receiving, each DH ratchet step draws the new ratchet secret (32, receiverRatchetSeed); nothing else draws. "
        + "Replay: messages in order; sessions[i] is started by its initiator from bundle (the key directory's JSON of §3, bytes as base64) "
        + "just before its first message; each envelope is decrypted by `to` and gives kind and body (bodyText: the body as UTF-8; "
        + "messageId: the 16-byte body as a UUID). paddedLength is the padded plaintext's length (§5.3); ratchetKey, previousCounter and "
        + "counter are the envelope's ratchet header. keyAgreement: §4's DH1..DH4 (dh4 null without a one-time X25519 prekey), the KEM "
        + "ciphertext and shared secret, sharedSecret = SK; associatedData = AD; initiatorRatchet: the initiator's first DHs and "
        + "(rootKey, sendingChainKey) = KDF_RK(SK, DH(DHs, SPK_B)). Per message: chainKey = the sender's CKs before it, "
        + "messageKey = HMAC(chainKey, 0x01), aeadKey || aeadNonce = MESSAGE_KEYS(messageKey).")]
    private static JsonObject Sessions()
    {
        var cases = new JsonArray();
        foreach (var (name, oneTime, kemOneTime, lastBodyLength) in new (string, bool, bool, int)[]
        {
            ("one-time-x25519-one-time-kem", true, true, 63),
            ("one-time-x25519-last-resort-kem", true, false, 62),
            ("no-one-time-x25519-one-time-kem", false, true, 0),
            ("no-one-time-x25519-last-resort-kem", false, false, 200),
        })
        {
            var alice = SessionDevice("alice", $"sessions {name} alice", Guid.Parse("0192f0c4-7a1e-7b3c-9d2e-5f6a7b8c9d0e"), prekeys: false);
            var bob = SessionDevice("bob", $"sessions {name} bob", Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"), prekeys: true);
            var spec = new CaseSpec(
                name,
                [alice, bob],
                [new SessionSpec("alice", "bob", oneTime ? OneTimePrekeyId : null, kemOneTime ? KemOneTimePrekeyId : KemLastResortId)],
                [
                    MessageSpec.Text(0, "alice", """{"text":"Hello Bob"}"""),
                    MessageSpec.Text(0, "bob", """{"text":"Hello Alice, your first message arrived."}"""),
                    MessageSpec.About(0, "alice", PlaintextKind.Decrypted, Guid.Parse("5f0c1e2d-3b4a-7c6d-8e9f-a0b1c2d3e4f5")),
                    MessageSpec.Text(0, "alice", TextOfLength(lastBodyLength)),
                ]);
            cases.Add(SessionScript.Generate(spec, detailed: true));
        }

        return new JsonObject { ["cases"] = cases };
    }

    /// <summary>A device of the vectors: seeds from <paramref name="label"/>; with prekeys, an SPK, an OPK, an ML-KEM one-time and a last-resort prekey.</summary>
    internal static DeviceSpec SessionDevice(string name, string label, Guid id, bool prekeys) => new(
        name,
        id,
        Seeded($"{label} IKs", 32),
        Seeded($"{label} IKd", 32),
        Seeded($"{label} random", 32),
        prekeys ? (SignedPrekeyId, Seeded($"{label} SPK", 32)) : null,
        prekeys ? [(OneTimePrekeyId, Seeded($"{label} OPK", 32))] : [],
        prekeys ? [(KemOneTimePrekeyId, Seeded($"{label} PQOPK", 64), false), (KemLastResortId, Seeded($"{label} PQSPK", 64), true)] : []);

    /// <summary>A content body of exactly <paramref name="length"/> bytes: <c>{"text":"abc..."}</c>, or empty for 0.</summary>
    internal static string TextOfLength(int length)
    {
        const string Prefix = "{\"text\":\"";
        const string Suffix = "\"}";
        var filler = length - Prefix.Length - Suffix.Length;
        return length == 0 ? "" : Prefix + string.Concat(Enumerable.Range(0, filler).Select(i => (char)('a' + (i % 26)))) + Suffix;
    }
}
