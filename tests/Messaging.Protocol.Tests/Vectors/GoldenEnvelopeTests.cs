using System.Text;
using System.Text.Json.Nodes;
using Messaging.Protocol.Sessions;

namespace Messaging.Protocol.Tests.Vectors;

/// <summary>
/// Golden envelopes of protocol version 1 (<c>tests/vectors/golden/v1-envelopes.json</c>): envelopes sealed once, with
/// fixed seeds, and the receivers' inputs. Every later version must keep decrypting them. Unlike the vector sets, the
/// file is never recomputed or compared: it is written only if absent (with <c>MESSAGING_WRITE_VECTORS=1</c>) and never
/// overwritten.
/// </summary>
public sealed class GoldenEnvelopeTests
{
    public const string Version1File = "v1-envelopes.json";

    private const string Description = "Golden envelopes of protocol version 1 (docs/protocol.md §4-§5), written once with fixed seeds and never changed: "
        + "every later version must keep decrypting them (or refuse version 1 explicitly). Each case has the shape of a sessions.json case "
        + "without the intermediate keys and is replayed the same way: messages in order; sessions[i] is started by its initiator from "
        + "bundle (key directory JSON, base64) just before its first message; each envelope is decrypted by `to` with a device built from "
        + "its inputs (seeds, prekeys, randomSeed: stream SHA512(randomSeed || u64be(i)), the draw order of sessions.json) and must give "
        + "kind and body. The exchange: a prekey message and its repeat, a receipt, a normal message, then a repair: the responder starts "
        + "a new session from the initiator's bundle (no one-time X25519 prekey, last-resort ML-KEM prekey) and sends a could-not-decrypt "
        + "notice as a prekey message, and the message is sent again under the new session.";

    [Fact]
    public void GoldenEnvelopes_Version1_StillDecrypt()
    {
        string path;
        string? refused = null;
        if (VectorGenerator.Writing)
        {
            path = Path.Combine(VectorGenerator.RepositoryRoot(), "tests", "vectors", "golden", Version1File);
            if (File.Exists(path))
            {
                refused = RefusalMessage(path);
            }
            else
            {
                WriteNew(path, Version1());
            }
        }
        else
        {
            path = Path.Combine(AppContext.BaseDirectory, "vectors", "golden", Version1File);
            Assert.True(
                File.Exists(path),
                $"tests/vectors/golden/{Version1File} is missing. Golden vectors of a released protocol version never change: restore it from git "
                + $"(git checkout -- tests/vectors/golden/{Version1File}); write it anew ({VectorGenerator.WriteVariable}=1) only if version 1 was never released.");
        }

        var document = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal(1, (int)document["protocolVersion"]!);
        var cases = document["cases"]!.AsArray();
        Assert.NotEmpty(cases);
        foreach (var item in cases)
        {
            SessionScript.Verify(item!, detailed: false);
        }

        // The file keeps covering both envelope types and every plaintext kind of version 1.
        var messages = cases.SelectMany(c => c!["messages"]!.AsArray()).ToList();
        Assert.Equal([1, 2], messages.Select(m => (int)m!["type"]!).Distinct().Order());
        Assert.Equal([1, 2, 3], messages.Select(m => (int)m!["kind"]!).Distinct().Order());

        // Writing mode: the existing file decrypts (checked above) and was left alone; say so plainly.
        Assert.SkipWhen(refused is not null, refused ?? "");
    }

    [Fact]
    public void WriteNew_GoldenFileExists_RefusesAndLeavesItUnchanged()
    {
        var path = Path.Combine(Path.GetTempPath(), $"golden-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "committed");
        try
        {
            var refusal = Assert.Throws<InvalidOperationException>(() => WriteNew(path, new JsonObject { ["cases"] = new JsonArray() }));

            Assert.Contains("golden vectors of a released protocol version never change", refusal.Message, StringComparison.Ordinal);
            Assert.Equal("committed", File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Writes a golden file that does not exist yet; refuses (and touches nothing) if it does.</summary>
    internal static void WriteNew(string path, JsonObject content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(content.ToJsonString(VectorGenerator.Json) + "\n");
        try
        {
            using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
            file.Write(text);
        }
        catch (IOException) when (File.Exists(path))
        {
            throw new InvalidOperationException(RefusalMessage(path));
        }
    }

    private static string RefusalMessage(string path) =>
        $"{path} exists and is not rewritten: golden vectors of a released protocol version never change. A change in the code that "
        + "stops them decrypting is a bug (or a new protocol version with its own golden file), never a reason to regenerate them.";

    /// <summary>The version 1 golden exchange (only ever run to write the file when it is absent).</summary>
    private static JsonObject Version1()
    {
        var firstId = Guid.Parse("0192f0c5-0000-7000-8000-000000000001");
        var lostId = Guid.Parse("0192f0c5-0000-7000-8000-000000000004");
        var spec = new CaseSpec(
            "v1-conversation-with-repair",
            [
                VectorGenerator.SessionDevice("alice", "golden v1 alice", Guid.Parse("0192f0c4-7a1e-7b3c-9d2e-5f6a7b8c9d0e"), prekeys: true),
                VectorGenerator.SessionDevice("bob", "golden v1 bob", Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"), prekeys: true),
            ],
            [
                new SessionSpec("alice", "bob", 0x00a1b2c3, 0x7f000001),
                new SessionSpec("bob", "alice", null, 0xfffffffe),
            ],
            [
                MessageSpec.Text(0, "alice", """{"id":"0192f0c5-0000-7000-8000-000000000001","text":"Hello Bob"}"""),
                MessageSpec.Text(0, "alice", """{"id":"0192f0c5-0000-7000-8000-000000000002","text":"Still there? This one is long enough to need a second block of padding."}"""),
                MessageSpec.About(0, "bob", PlaintextKind.Decrypted, firstId),
                MessageSpec.Text(0, "alice", """{"id":"0192f0c5-0000-7000-8000-000000000004","text":"A normal message"}"""),
                MessageSpec.About(1, "bob", PlaintextKind.CouldNotDecrypt, lostId),
                MessageSpec.Text(1, "alice", """{"id":"0192f0c5-0000-7000-8000-000000000005","text":"A normal message (sent again)"}"""),
            ]);

        return new JsonObject
        {
            ["description"] = Description,
            ["version"] = VectorGenerator.FormatVersion,
            ["protocolVersion"] = 1,
            ["cases"] = new JsonArray(SessionScript.Generate(spec, detailed: false)),
        };
    }
}
