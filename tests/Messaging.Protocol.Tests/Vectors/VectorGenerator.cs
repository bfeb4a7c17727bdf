using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Messaging.Protocol.Keys;
using Messaging.Protocol.Primitives;
using Messaging.Protocol.Storage;

namespace Messaging.Protocol.Tests.Vectors;

/// <summary>
/// The shared vectors in <c>tests/vectors/*.json</c> (see its README), which the web client checks byte for byte.
/// Normally the test recomputes every file from the code and asserts it equals the committed one, so the two cannot
/// drift; with <c>MESSAGING_WRITE_VECTORS=1</c> it (re)writes the files in the repository instead. A vector set is one
/// method marked <see cref="VectorSetAttribute"/> that returns the file's content; the generator adds
/// <c>description</c> and <c>version</c>. Vectors of a released protocol version never change.
/// </summary>
public sealed partial class VectorGenerator
{
    public const string WriteVariable = "MESSAGING_WRITE_VECTORS";
    public const int FormatVersion = 1;

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        IndentSize = 2,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static TheoryData<string> Files => new(Sets().Select(s => s.File));

    [Theory]
    [MemberData(nameof(Files))]
    public void VectorFile_RecomputedFromCode_EqualsCommittedFile(string file)
    {
        var computed = Build(Sets().Single(s => s.File == file));

        if (Writing)
        {
            var path = Path.Combine(RepositoryRoot(), "tests", "vectors", file);
            File.WriteAllText(path, computed.ToJsonString(Json) + "\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            Assert.True(JsonNode.DeepEquals(computed, JsonNode.Parse(File.ReadAllText(path))), $"{path} was not written back intact");
            return;
        }

        var committedPath = Path.Combine(AppContext.BaseDirectory, "vectors", file);
        Assert.True(File.Exists(committedPath), $"tests/vectors/{file} is missing: run this test once with {WriteVariable}=1 and commit it.");
        var committed = JsonNode.Parse(File.ReadAllText(committedPath));
        var difference = FirstDifference(committed, computed, "$");
        Assert.True(
            difference is null,
            $"tests/vectors/{file} differs from what the code computes at {difference}. A released version's vectors never change: "
            + $"fix the code; only for a new, unreleased vector regenerate with {WriteVariable}=1.");
    }

    // Sessions (§4–§5): the vector set "sessions.json" is in VectorGenerator.Sessions.cs, and its committed envelopes are
    // also decrypted from the committed inputs alone (SessionVectorTests). The golden envelopes of version 1
    // (golden/v1-envelopes.json) are not a vector set: they are written once and never regenerated (GoldenEnvelopeTests).

    /// <summary>True when this run writes the vector files instead of checking them.</summary>
    internal static bool Writing => Environment.GetEnvironmentVariable(WriteVariable) == "1";

    /// <summary>The content of one vector file as the code computes it now.</summary>
    internal static JsonObject Compute(string file) => Build(Sets().Single(s => s.File == file));

    /// <summary>§2: identity bytes from seeded keys, prekey signature messages and signatures, identities to reject.</summary>
    [VectorSet("identity.json", "Device identities and prekey signatures of docs/protocol.md §2. identity = 0x01 || IKs.pub || IKd.pub || SIGN(IKs, \"MSG1-IDK\" || IKd.pub); "
        + "IKs from the Ed25519 seed, IKd.pub = X25519 base-point multiplication of agreementSecret. "
        + "Prekey messages are label || u32(id) || publicKey with \"MSG1-SPK\" (X25519) or \"MSG1-PQPK\" (ML-KEM-768, public key from kemSeed). "
        + "Every invalidIdentities entry must be refused.")]
    private static JsonObject Identity()
    {
        var identities = new JsonArray();
        var keys = new List<(byte[] SecretKey, DeviceIdentity Identity)>();
        foreach (var name in new[] { "alice", "bob" })
        {
            var signingSeed = Seeded($"identity {name} IKs", 32);
            var agreementSecret = Seeded($"identity {name} IKd", 32);
            var (pk, sk) = Ed25519(signingSeed);
            var identity = DeviceIdentity.Create(pk, sk, X25519Public(agreementSecret));
            keys.Add((sk, identity));
            identities.Add(new JsonObject
            {
                ["name"] = name,
                ["signingSeed"] = Hex(signingSeed),
                ["agreementSecret"] = Hex(agreementSecret),
                ["signingPublicKey"] = Hex(identity.SigningKey),
                ["agreementPublicKey"] = Hex(identity.AgreementKey),
                ["signedMessage"] = Hex([.. "MSG1-IDK"u8, .. identity.AgreementKey]),
                ["identity"] = Hex(identity.Encoded),
            });
        }

        var (aliceSecret, alice) = keys[0];
        var signedPrekeys = new JsonArray();
        foreach (var id in new uint[] { 0, 1, 0x7fffffff, 0xfffffffe })
        {
            var secret = Seeded($"identity alice SPK {id}", 32);
            var publicKey = X25519Public(secret);
            var message = PrekeySignature.SignedPrekeyMessage(id, publicKey);
            var signature = new byte[64];
            Crypto.Sign(aliceSecret, message, signature);
            Assert.True(PrekeySignature.VerifySignedPrekey(alice, id, publicKey, signature));
            signedPrekeys.Add(new JsonObject
            {
                ["identity"] = "alice",
                ["id"] = id,
                ["secret"] = Hex(secret),
                ["publicKey"] = Hex(publicKey),
                ["message"] = Hex(message),
                ["signature"] = Hex(signature),
            });
        }

        var kemPrekeys = new JsonArray();
        foreach (var id in new uint[] { 1, 0xfffffffe })
        {
            var seed = Seeded($"identity alice PQPK {id}", 64);
            var (publicKey, _) = Kem(seed);
            var message = PrekeySignature.KemPrekeyMessage(id, publicKey);
            var signature = new byte[64];
            Crypto.Sign(aliceSecret, message, signature);
            Assert.True(PrekeySignature.VerifyKemPrekey(alice, id, publicKey, signature));
            kemPrekeys.Add(new JsonObject
            {
                ["identity"] = "alice",
                ["id"] = id,
                ["kemSeed"] = Hex(seed),
                ["publicKey"] = Hex(publicKey),
                ["message"] = Hex(message),
                ["signature"] = Hex(signature),
            });
        }

        var bob = keys[1].Identity;
        var invalid = new JsonArray();
        foreach (var (name, bytes) in new (string, byte[])[]
        {
            ("version-0x02", [0x02, .. alice.Encoded[1..]]),
            ("signature-bit-flipped", Flip(alice.Encoded, DeviceIdentity.Length - 1)),
            ("agreement-key-bit-flipped", Flip(alice.Encoded, 1 + 32)),
            ("signing-key-of-another-identity", [.. alice.Encoded[..1], .. bob.SigningKey, .. alice.Encoded[33..]]),
            ("truncated", alice.Encoded[..^1].ToArray()),
            ("extended", [.. alice.Encoded, 0x00]),
        })
        {
            Assert.False(DeviceIdentity.TryParse(bytes, out _));
            invalid.Add(new JsonObject { ["name"] = name, ["identity"] = Hex(bytes) });
        }

        return new JsonObject
        {
            ["identities"] = identities,
            ["signedPrekeys"] = signedPrekeys,
            ["kemPrekeys"] = kemPrekeys,
            ["invalidIdentities"] = invalid,
        };
    }

    /// <summary>§6: per-device fingerprints and the safety numbers and QR payloads of pairs.</summary>
    [VectorSet("safety-numbers.json", "Safety numbers of docs/protocol.md §6. deviceIdBytes is the device id in RFC 9562 byte order (as hashed); "
        + "scanBytes = the first 32 bytes of the final fingerprint hash. For each pair (a, b are indexes into devices) the safety number "
        + "is the same whichever device computes it; display is 12 groups of 5 digits separated by single spaces.")]
    private static JsonObject SafetyNumberVectors()
    {
        var aliceSigning = Seeded("safety alice IKs", 32);
        var aliceAgreement = Seeded("safety alice IKd", 32);
        var bobSigning = Seeded("safety bob IKs", 32);
        var bobAgreement = Seeded("safety bob IKd", 32);
        var devices = new (string Name, DeviceIdentity Identity, Guid Id)[]
        {
            ("alice-phone", SeededIdentity(aliceSigning, aliceAgreement), Guid.Parse("0192f0c4-7a1e-7b3c-9d2e-5f6a7b8c9d0e")),
            ("bob-laptop", SeededIdentity(bobSigning, bobAgreement), Guid.Parse("00112233-4455-6677-8899-aabbccddeeff")),
            ("alice-phone-other-device-id", SeededIdentity(aliceSigning, aliceAgreement), Guid.Parse("0192f0c4-7a1e-7b3c-9d2e-5f6a7b8c9d0f")),
            ("bob-laptop-new-agreement-key", SeededIdentity(bobSigning, Seeded("safety bob IKd 2", 32)), Guid.Parse("00112233-4455-6677-8899-aabbccddeeff")),
        };

        var fingerprints = devices.Select(d => SafetyNumbers.Fingerprint(d.Identity, d.Id)).ToArray();
        var deviceArray = new JsonArray();
        for (var i = 0; i < devices.Length; i++)
        {
            deviceArray.Add(new JsonObject
            {
                ["name"] = devices[i].Name,
                ["identity"] = Hex(devices[i].Identity.Encoded),
                ["deviceId"] = devices[i].Id.ToString("D"),
                ["deviceIdBytes"] = Hex(devices[i].Id.ToByteArray(bigEndian: true)),
                ["fingerprint"] = fingerprints[i].Digits,
                ["scanBytes"] = Hex(fingerprints[i].ScanBytes),
            });
        }

        var pairs = new JsonArray();
        foreach (var (a, b) in new[] { (0, 1), (1, 0), (2, 1), (0, 3), (1, 2) })
        {
            var number = SafetyNumbers.Between(fingerprints[a], fingerprints[b]);
            pairs.Add(new JsonObject
            {
                ["a"] = a,
                ["b"] = b,
                ["safetyNumber"] = number.Digits,
                ["display"] = number.Display,
                ["qrPayload"] = Hex(number.QrPayload),
            });
        }

        return new JsonObject { ["devices"] = deviceArray, ["pairs"] = pairs };
    }

    /// <summary>§8: state files sealed under an application key with a fixed nonce.</summary>
    [VectorSet("state-file.json", "Encrypted state files of docs/protocol.md §8, application-key mode (kdf = 0x00, zero salt), "
        + "each sealed with the given nonce: file = \"MSG1-STORE\" || 0x01 || 0x00 || ZERO(16) || nonce || AEAD(key, nonce, ad = file[0..52), state). "
        + "stateText is the state as UTF-8 text, for reading.")]
    private static JsonObject StateFile()
    {
        var cases = new JsonArray();
        foreach (var (name, state) in new (string, string)[]
        {
            ("empty", ""),
            ("json", """{"version":1,"identity":{"signingSeed":"00"},"sessions":[]}"""),
        })
        {
            var raw = Seeded($"state-file {name} key", 32);
            var nonce = Seeded($"state-file {name} nonce", 24);
            var bytes = Encoding.UTF8.GetBytes(state);
            using var key = StorageKey.Import(raw);
            var file = new byte[EncryptedStateFile.SealedLength(bytes.Length)];
            EncryptedStateFile.Seal(bytes, key, nonce, file);
            Assert.True(EncryptedStateFile.TryOpen(file, key, out var opened));
            Assert.Equal(bytes, opened);
            cases.Add(new JsonObject
            {
                ["name"] = name,
                ["key"] = Hex(raw),
                ["nonce"] = Hex(nonce),
                ["state"] = Hex(bytes),
                ["stateText"] = state,
                ["file"] = Hex(file),
            });
        }

        return new JsonObject { ["keyMode"] = cases };
    }

    private static JsonObject Build((string File, string Description, Func<JsonObject> Content) set)
    {
        var document = new JsonObject { ["description"] = set.Description, ["version"] = FormatVersion };
        foreach (var (name, value) in set.Content().ToList())
        {
            document[name] = value?.DeepClone();
        }

        return document;
    }

    private static IEnumerable<(string File, string Description, Func<JsonObject> Content)> Sets() =>
        typeof(VectorGenerator)
            .GetMethods(BindingFlags.Static | BindingFlags.NonPublic)
            .Select(m => (Method: m, Set: m.GetCustomAttribute<VectorSetAttribute>()))
            .Where(x => x.Set is not null)
            .Select(x => (x.Set!.File, x.Set.Description, x.Method.CreateDelegate<Func<JsonObject>>()))
            .OrderBy(x => x.File, StringComparer.Ordinal);

    /// <summary>Where two JSON documents first differ, as a JSON path; null when they are equal.</summary>
    private static string? FirstDifference(JsonNode? expected, JsonNode? actual, string path)
    {
        switch (expected, actual)
        {
            case (JsonObject e, JsonObject a):
                foreach (var name in e.Select(p => p.Key).Union(a.Select(p => p.Key)))
                {
                    if (!e.ContainsKey(name) || !a.ContainsKey(name))
                    {
                        return $"{path}.{name} (present on one side only)";
                    }

                    if (FirstDifference(e[name], a[name], $"{path}.{name}") is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case (JsonArray e, JsonArray a):
                for (var i = 0; i < Math.Max(e.Count, a.Count); i++)
                {
                    if (i >= e.Count || i >= a.Count)
                    {
                        return $"{path}[{i}] (present on one side only)";
                    }

                    if (FirstDifference(e[i], a[i], $"{path}[{i}]") is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            default:
                return JsonNode.DeepEquals(expected, actual) ? null : $"{path} (committed {expected?.ToJsonString()}, computed {actual?.ToJsonString()})";
        }
    }

    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Messaging.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Messaging.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>Fixed input bytes named by a label: SHA-512 of the label, then of the label and a counter as needed.</summary>
    internal static byte[] Seeded(string label, int length)
    {
        var output = new byte[length];
        var block = new byte[64];
        for (var (offset, counter) = (0, 0); offset < length; offset += 64, counter++)
        {
            var input = counter == 0 ? Encoding.ASCII.GetBytes(label) : Encoding.ASCII.GetBytes($"{label} {counter}");
            Crypto.Sha512(input, block);
            block.AsSpan(0, Math.Min(64, length - offset)).CopyTo(output.AsSpan(offset));
        }

        return output;
    }

    private static byte[] Fill(byte value, int length) => Enumerable.Repeat(value, length).ToArray();

    private static byte[] Flip(ReadOnlySpan<byte> bytes, int index)
    {
        var copy = bytes.ToArray();
        copy[index] ^= 0x01;
        return copy;
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    private static string Sha512Hex(ReadOnlySpan<byte> bytes)
    {
        var digest = new byte[64];
        Crypto.Sha512(bytes, digest);
        return Hex(digest);
    }

    private static byte[] X25519Public(byte[] secret)
    {
        var publicKey = new byte[32];
        Crypto.X25519PublicKey(secret, publicKey);
        return publicKey;
    }

    private static (byte[] PublicKey, byte[] SecretKey) Ed25519(byte[] seed)
    {
        var pk = new byte[32];
        var sk = new byte[64];
        Crypto.Ed25519KeyPairFromSeed(seed, pk, sk);
        return (pk, sk);
    }

    private static (byte[] PublicKey, byte[] SecretKey) Kem(byte[] seed)
    {
        var pk = new byte[Sizes.KemPublicKey];
        var sk = new byte[Sizes.KemSecretKey];
        Crypto.KemKeyPairFromSeed(seed, pk, sk);
        return (pk, sk);
    }

    private static DeviceIdentity SeededIdentity(byte[] signingSeed, byte[] agreementSecret)
    {
        var (pk, sk) = Ed25519(signingSeed);
        return DeviceIdentity.Create(pk, sk, X25519Public(agreementSecret));
    }

    /// <summary>Marks a method that returns the content of one vector file.</summary>
    [AttributeUsage(AttributeTargets.Method)]
    private sealed class VectorSetAttribute(string file, string description) : Attribute
    {
        public string File { get; } = file;

        public string Description { get; } = description;
    }
}
