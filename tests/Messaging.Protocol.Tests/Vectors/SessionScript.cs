using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Messaging.Protocol.Keys;
using Messaging.Protocol.Primitives;
using Messaging.Protocol.Sessions;
using Xunit.Sdk;

namespace Messaging.Protocol.Tests.Vectors;

/// <summary>A device of a scripted exchange: its seeds, its randomness seed and the prekeys in its store.</summary>
internal sealed record DeviceSpec(
    string Name,
    Guid Id,
    byte[] SigningSeed,
    byte[] AgreementSeed,
    byte[] RandomSeed,
    (uint Id, byte[] Seed)? SignedPrekey,
    IReadOnlyList<(uint Id, byte[] Seed)> OneTimePrekeys,
    IReadOnlyList<(uint Id, byte[] Seed, bool LastResort)> KemPrekeys);

/// <summary>A session the initiator starts from the responder's bundle, which hands out the named prekeys.</summary>
internal sealed record SessionSpec(string Initiator, string Responder, uint? OneTimePrekeyId, uint KemPrekeyId);

/// <summary>One message of the exchange, sent with the sender's current session (<see cref="Session"/> names it).</summary>
internal sealed record MessageSpec(int Session, string From, PlaintextKind Kind, byte[] Body)
{
    public static MessageSpec Text(int session, string from, string text) => new(session, from, PlaintextKind.Content, Encoding.UTF8.GetBytes(text));

    public static MessageSpec About(int session, string from, PlaintextKind kind, Guid messageId) =>
        new(session, from, kind, DecryptedMessage.MessageIdBody(messageId));
}

/// <summary>A scripted exchange between devices: the input of one case of <c>sessions.json</c> or of a golden file.</summary>
internal sealed record CaseSpec(string Name, IReadOnlyList<DeviceSpec> Devices, IReadOnlyList<SessionSpec> Sessions, IReadOnlyList<MessageSpec> Messages);

/// <summary>
/// Runs a scripted exchange through <see cref="ProtocolDevice"/> with seeded randomness and writes it as a JSON case
/// (<see cref="Generate"/>), and checks a committed case (<see cref="Verify"/>): fresh devices built only from the
/// case's inputs must decrypt every committed envelope to the committed plaintext. The rules a second implementation
/// follows to replay a case are in <c>tests/vectors/README.md</c>:
/// <list type="bullet">
/// <item>messages are processed in order; a session is started by its initiator, from its bundle, just before its first message;</item>
/// <item>each envelope is then decrypted by its <c>to</c> device;</item>
/// <item>randomness is <see cref="SeededRandomSource"/> over the device's <c>randomSeed</c>, drawn in the order
/// <see cref="RandomSource"/> documents (sending draws nothing).</item>
/// </list>
/// </summary>
internal static partial class SessionScript
{
    /// <summary>The clock of every operation; it only matters for the expiry of skipped keys, which no case reaches.</summary>
    public static readonly DateTimeOffset Now = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private static readonly JsonSerializerOptions Web = JsonSerializerOptions.Web;

    /// <summary>Runs <paramref name="spec"/>; with <paramref name="detailed"/> the case also holds SK, AD, the DH values and the chain and message keys.</summary>
    public static JsonObject Generate(CaseSpec spec, bool detailed)
    {
        using var devices = new LiveDevices(spec.Devices);
        var sessions = new JsonArray();
        var messages = new JsonArray();
        var baseKeys = new byte[spec.Sessions.Count][];
        for (var i = 0; i < spec.Messages.Count; i++)
        {
            var m = spec.Messages[i];
            var s = spec.Sessions[m.Session];
            var at = $"{spec.Name} messages[{i}]";
            var sender = devices[m.From];
            var receiver = devices[Peer(s, m.From, at)];
            var first = baseKeys[m.Session] is null;
            byte[]? expectedPrekeyHeader = null;
            byte[]? sharedSecret = null;
            if (first)
            {
                Assert.True(s.Initiator == m.From, $"{at}: the first message of a session is sent by its initiator");
                var bundleNode = JsonSerializer.SerializeToNode(receiver.Bundle(s.OneTimePrekeyId, s.KemPrekeyId), Web)!;
                var bundle = bundleNode.Deserialize<PrekeyBundle>(Web)!;
                var before = sender.Random.Draws.Count;
                Assert.True(sender.Device.TryStartSession(bundle, out var startFailure), $"{at}: {startFailure}");
                var draws = sender.Random.Draws.Skip(before).ToArray();
                Assert.True(draws.Length == 3 && draws.All(d => d.Length == 32), $"{at}: starting a session draws EK, the KEM seed and a ratchet key");
                var session = new JsonObject { ["initiator"] = s.Initiator, ["responder"] = s.Responder, ["bundle"] = bundleNode };
                if (detailed)
                {
                    Assert.True(bundle.TryVerify(out var verified));
                    session["associatedData"] = Hex(KeyAgreement.AssociatedData(sender.Identity, receiver.Identity));
                    session["keyAgreement"] = KeyAgreementDetails(sender, verified, draws[0], draws[1], out sharedSecret, out expectedPrekeyHeader);
                    var ratchet = sender.CurrentSession(receiver).Export().Ratchet;
                    session["initiatorRatchet"] = new JsonObject
                    {
                        ["seed"] = Hex(draws[2]),
                        ["publicKey"] = Hex(X25519Public(draws[2])),
                        ["rootKey"] = Hex(ratchet.RootKey),
                        ["sendingChainKey"] = Hex(ratchet.SendingChainKey),
                    };
                }

                sessions.Add(session);
                baseKeys[m.Session] = sender.CurrentSession(receiver).BaseKey.ToArray();
            }

            Assert.True(sender.CurrentSession(receiver).BaseKey.SequenceEqual(baseKeys[m.Session]), $"{at}: the sender's current session is not sessions[{m.Session}]");
            var chainKey = sender.CurrentSession(receiver).Export().Ratchet.SendingChainKey!;
            var envelope = sender.Device.EncryptFor(receiver.Spec.Id, m.Kind, m.Body, Now);
            if (expectedPrekeyHeader is not null)
            {
                Assert.Equal(expectedPrekeyHeader, envelope.AsSpan(2, PrekeyHeader.Length).ToArray());
                Assert.Equal(sharedSecret, ResponderSharedSecret(receiver, envelope, at));
            }

            var receiverDraws = receiver.Random.Draws.Count;
            Assert.True(receiver.Device.TryDecrypt(sender.Spec.Id, envelope, Now, out var message, out var failure), $"{at}: {failure}");
            Assert.Equal(m.Kind, message.Kind);
            Assert.Equal(m.Body, message.Body.ToArray());
            Assert.Equal(first, message.StartedSession);
            var newRatchetSeeds = receiver.Random.Draws.Skip(receiverDraws).ToArray();
            Assert.True(newRatchetSeeds.Length <= 1, $"{at}: one DH ratchet step at most");

            var header = RatchetHeader.Of(envelope);
            var item = new JsonObject
            {
                ["session"] = m.Session,
                ["from"] = m.From,
                ["to"] = receiver.Spec.Name,
                ["type"] = envelope[1],
                ["kind"] = (byte)m.Kind,
                ["body"] = Hex(m.Body),
            };
            if (m.Kind == PlaintextKind.Content)
            {
                item["bodyText"] = Encoding.UTF8.GetString(m.Body);
            }
            else
            {
                item["messageId"] = new Guid(m.Body, bigEndian: true).ToString("D");
            }

            item["paddedLength"] = header.PaddedLength;
            item["ratchetKey"] = Hex(header.RatchetKey);
            item["previousCounter"] = header.PreviousCounter;
            item["counter"] = header.Counter;
            if (detailed)
            {
                var (messageKey, key, nonce) = MessageKeys(chainKey);
                item["chainKey"] = Hex(chainKey);
                item["messageKey"] = Hex(messageKey);
                item["aeadKey"] = Hex(key);
                item["aeadNonce"] = Hex(nonce);
                item["receiverRatchetSeed"] = newRatchetSeeds.Length == 0 ? null : Hex(newRatchetSeeds[0]);
            }

            item["envelope"] = Hex(envelope);
            messages.Add(item);
        }

        return new JsonObject
        {
            ["name"] = spec.Name,
            ["devices"] = new JsonObject(devices.All.Select(d => KeyValuePair.Create(d.Spec.Name, (JsonNode?)DeviceJson(d)))),
            ["sessions"] = sessions,
            ["messages"] = messages,
        };
    }

    /// <summary>
    /// Checks a committed case: fresh devices from its inputs only (seeds, prekeys, random seed, bundles) must decrypt
    /// every committed envelope, in order, to the committed kind and body. With <paramref name="detailed"/> the committed
    /// SK, AD and chain, message and AEAD keys are checked against the committed envelopes too.
    /// </summary>
    public static void Verify(JsonNode caseNode, bool detailed)
    {
        var name = (string)caseNode["name"]!;
        var specs = caseNode["devices"]!.AsObject().Select(p => DeviceFromJson(p.Key, p.Value!)).ToList();
        using var devices = new LiveDevices(specs);
        foreach (var (deviceName, node) in caseNode["devices"]!.AsObject())
        {
            CheckPublicParts(devices[deviceName], node!, $"{name} devices.{deviceName}");
        }

        var sessions = caseNode["sessions"]!.AsArray();
        var messages = caseNode["messages"]!.AsArray();
        var started = new bool[sessions.Count];
        Assert.NotEmpty(messages);
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i]!;
            var at = $"{name} messages[{i}]";
            Within(at, () =>
            {
                var sessionIndex = (int)m["session"]!;
                var session = sessions[sessionIndex]!;
                var initiator = (string)session["initiator"]!;
                var responder = (string)session["responder"]!;
                var from = (string)m["from"]!;
                var to = (string)m["to"]!;
                Assert.True((from, to) == (initiator, responder) || (from, to) == (responder, initiator), $"{at}: from/to are not the session's devices");
                var sender = devices[from];
                var receiver = devices[to];
                var first = !started[sessionIndex];
                if (first)
                {
                    Assert.True(from == initiator, $"{at}: the first message of a session is sent by its initiator");
                    var bundle = session["bundle"]!.Deserialize<PrekeyBundle>(Web)!;
                    Assert.True(sender.Device.TryStartSession(bundle, out var startFailure), $"{at}: the bundle of sessions[{sessionIndex}] was refused: {startFailure}");
                    started[sessionIndex] = true;
                    if (detailed)
                    {
                        CheckInitiatorRatchet(sender.CurrentSession(receiver), session["initiatorRatchet"]!, FromHex(m["ratchetKey"]), at);
                    }
                }

                var envelope = FromHex(m["envelope"]);
                var type = (byte)m["type"]!;
                var kind = (PlaintextKind)(byte)m["kind"]!;
                var body = FromHex(m["body"]);
                var paddedLength = (int)m["paddedLength"]!;
                Assert.True(envelope.Length > 2 && envelope[0] == 0x01 && envelope[1] == type, $"{at}: envelope version or type");
                Assert.True(!first || type == 0x01, $"{at}: the first message of a session is a prekey message");
                var header = RatchetHeader.Of(envelope);
                Assert.Equal(paddedLength, header.PaddedLength);
                Assert.Equal(FromHex(m["ratchetKey"]), header.RatchetKey);
                Assert.Equal((uint)m["previousCounter"]!, header.PreviousCounter);
                Assert.Equal((uint)m["counter"]!, header.Counter);
                if (m["bodyText"] is { } text)
                {
                    Assert.Equal(PlaintextKind.Content, kind);
                    Assert.Equal((string)text!, Encoding.UTF8.GetString(body));
                }
                else
                {
                    Assert.Equal(DecryptedMessage.MessageIdBody(Guid.Parse((string)m["messageId"]!)), body);
                }

                if (detailed)
                {
                    if (first)
                    {
                        var keyAgreement = session["keyAgreement"]!;
                        Assert.Equal(FromHex(keyAgreement["sharedSecret"]), ResponderSharedSecret(receiver, envelope, at));
                        Assert.Equal(FromHex(keyAgreement["ephemeralPublicKey"]), envelope.AsSpan(2 + DeviceIdentity.Length, Sizes.X25519Key).ToArray());
                        Assert.Equal(FromHex(keyAgreement["kemCiphertext"]), envelope.AsSpan(2 + PrekeyHeader.Length - Sizes.KemCiphertext, Sizes.KemCiphertext).ToArray());
                        Assert.Equal(
                            FromHex(session["associatedData"]),
                            KeyAgreement.AssociatedData(devices[initiator].Identity, devices[responder].Identity));
                    }

                    CheckMessageKeys(m, FromHex(session["associatedData"]), envelope, header, kind, body, at);
                }

                var draws = receiver.Random.Draws.Count;
                Assert.True(receiver.Device.TryDecrypt(sender.Spec.Id, envelope, Now, out var message, out var failure), $"{at}: the committed envelope does not decrypt: {failure}");
                Assert.Equal(kind, message.Kind);
                Assert.Equal(body, message.Body.ToArray());
                Assert.Equal(first, message.StartedSession);
                if (detailed)
                {
                    var seed = m["receiverRatchetSeed"];
                    byte[][] expectedDraws = seed is null ? [] : [FromHex(seed)];
                    Assert.Equal(expectedDraws, receiver.Random.Draws.Skip(draws).ToArray());
                }
            });
        }

        Assert.All(started, s => Assert.True(s, $"{name}: a session without messages"));
    }

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>Runs the checks of one message and names the message in any failure.</summary>
    private static void Within(string at, Action check)
    {
        try
        {
            check();
        }
        catch (Exception e) when (e is not SkipException && !e.Message.StartsWith(at, StringComparison.Ordinal))
        {
            throw new XunitException($"{at}: {e.Message}", e);
        }
    }

    private static byte[] FromHex(JsonNode? node) => Convert.FromHexString((string)node!);

    private static string Peer(SessionSpec s, string from, string at) =>
        from == s.Initiator ? s.Responder : from == s.Responder ? s.Initiator : throw new InvalidOperationException($"{at}: {from} is not in the session");

    /// <summary>PQXDH's intermediate values on the initiator's side (§4), recomputed from its draws and checked against the code's SK.</summary>
    private static JsonObject KeyAgreementDetails(
        LiveDevice initiator, VerifiedPrekeyBundle bundle, byte[] ephemeralSeed, byte[] kemSeed, out byte[] sharedSecret, out byte[] prekeyHeader)
    {
        Assert.True(KeyAgreement.TryInitiate(initiator.Store.LocalKeys, bundle, new ReplayRandomSource([.. ephemeralSeed, .. kemSeed]), out var sk, out var header));
        using (sk)
        {
            sharedSecret = sk!.Export();
        }

        prekeyHeader = header!;
        var dh1 = Dh(initiator.Spec.AgreementSeed, bundle.SignedPrekeyPublicKey);
        var dh2 = Dh(ephemeralSeed, bundle.Identity.AgreementKey);
        var dh3 = Dh(ephemeralSeed, bundle.SignedPrekeyPublicKey);
        var dh4 = bundle.OneTimePrekeyId is null ? null : Dh(ephemeralSeed, bundle.OneTimePrekeyPublicKey);
        var ciphertext = new byte[Sizes.KemCiphertext];
        var kemSecret = new byte[Sizes.KemSharedSecret];
        Assert.True(Crypto.TryKemEncapsulate(bundle.PqPrekeyPublicKey, ciphertext, kemSecret, kemSeed));
        Assert.Equal(ciphertext, prekeyHeader[^Sizes.KemCiphertext..]);

        // SK as §4 writes it, from the values above: the code and the spec agree on this case.
        var specSk = new byte[32];
        Crypto.Hkdf(new byte[32], [.. Enumerable.Repeat((byte)0xff, 32), .. dh1, .. dh2, .. dh3, .. dh4 ?? [], .. kemSecret], "MSG1 PQXDH X25519 ML-KEM-768 SHA-256"u8, specSk);
        Assert.Equal(specSk, sharedSecret);

        return new JsonObject
        {
            ["ephemeralSeed"] = Hex(ephemeralSeed),
            ["ephemeralPublicKey"] = Hex(X25519Public(ephemeralSeed)),
            ["kemSeed"] = Hex(kemSeed),
            ["kemCiphertext"] = Hex(ciphertext),
            ["kemSharedSecret"] = Hex(kemSecret),
            ["dh1"] = Hex(dh1),
            ["dh2"] = Hex(dh2),
            ["dh3"] = Hex(dh3),
            ["dh4"] = dh4 is null ? null : Hex(dh4),
            ["sharedSecret"] = Hex(sharedSecret),
        };
    }

    /// <summary>SK as the responder computes it from the envelope's prekey header and its own prekeys (before they are used up).</summary>
    private static byte[] ResponderSharedSecret(LiveDevice responder, byte[] envelope, string at)
    {
        Assert.True(PrekeyHeader.TryParse(envelope.AsSpan(2, PrekeyHeader.Length), out var header), $"{at}: prekey header");
        var store = responder.Store;
        var signedPrekey = store.LoadSignedPrekey(header!.SignedPrekeyId);
        var oneTimePrekey = header.OneTimePrekeyId == PrekeySignature.NoPrekey ? null : store.LoadOneTimePrekey(header.OneTimePrekeyId);
        var kemPrekey = store.LoadKemPrekey(header.KemPrekeyId);
        Assert.True(signedPrekey is not null && kemPrekey is not null && (oneTimePrekey is not null || header.OneTimePrekeyId == PrekeySignature.NoPrekey), $"{at}: a prekey the header names is missing");
        Assert.True(KeyAgreement.TryRespond(store.LocalKeys, header, signedPrekey, oneTimePrekey, kemPrekey, out var sk), $"{at}: key agreement");
        using (sk)
        {
            return sk!.Export();
        }
    }

    private static void CheckInitiatorRatchet(Session session, JsonNode expected, byte[] firstRatchetKey, string at)
    {
        var ratchet = session.Export().Ratchet;
        Assert.Equal(FromHex(expected["publicKey"]), X25519Public(FromHex(expected["seed"])));
        Assert.Equal(firstRatchetKey, FromHex(expected["publicKey"]));
        Assert.True(FromHex(expected["rootKey"]).AsSpan().SequenceEqual(ratchet.RootKey), $"{at}: initiatorRatchet.rootKey");
        Assert.True(FromHex(expected["sendingChainKey"]).AsSpan().SequenceEqual(ratchet.SendingChainKey), $"{at}: initiatorRatchet.sendingChainKey");
    }

    /// <summary>The committed chain key gives the committed message and AEAD keys, which open the committed ciphertext to the committed plaintext.</summary>
    private static void CheckMessageKeys(JsonNode m, byte[] associatedData, byte[] envelope, RatchetHeader header, PlaintextKind kind, byte[] body, string at)
    {
        var (messageKey, key, nonce) = MessageKeys(FromHex(m["chainKey"]));
        Assert.True(FromHex(m["messageKey"]).AsSpan().SequenceEqual(messageKey), $"{at}: messageKey");
        Assert.True(FromHex(m["aeadKey"]).AsSpan().SequenceEqual(key), $"{at}: aeadKey");
        Assert.True(FromHex(m["aeadNonce"]).AsSpan().SequenceEqual(nonce), $"{at}: aeadNonce");
        var padded = new byte[header.PaddedLength];
        Assert.True(
            Crypto.TryAeadDecrypt(key, nonce, [.. associatedData, .. envelope.AsSpan(0, header.Length)], envelope.AsSpan(header.Length), padded),
            $"{at}: the committed AEAD key, nonce and associated data do not open the committed ciphertext");
        byte[] expected = [(byte)kind, .. body, 0x80, .. new byte[padded.Length - body.Length - 2]];
        Assert.Equal(expected, padded);
    }

    private static (byte[] MessageKey, byte[] Key, byte[] Nonce) MessageKeys(byte[] chainKey)
    {
        var messageKey = new byte[RatchetKdf.KeyLength];
        var key = new byte[Sizes.AeadKey];
        var nonce = new byte[Sizes.AeadNonce];
        RatchetKdf.Chain(chainKey, new byte[RatchetKdf.KeyLength], messageKey);
        RatchetKdf.MessageKeys(messageKey, key, nonce);
        return (messageKey, key, nonce);
    }
}
