using System.Text.Json.Nodes;

namespace Messaging.Protocol.Tests.Vectors;

/// <summary>
/// <c>sessions.json</c> beyond the generator's recompute-and-compare: the committed bytes themselves must work. Fresh
/// devices built only from each case's committed inputs (seeds, prekeys, random seed, bundle) decrypt every committed
/// envelope to the committed plaintext, and the committed SK, AD and keys match the committed envelopes.
/// </summary>
public sealed class SessionVectorTests
{
    [Fact]
    public void SessionVectors_CommittedEnvelopes_DecryptWithFreshStateFromTheCommittedInputs()
    {
        var document = Committed("sessions.json");

        var cases = document["cases"]!.AsArray();

        Assert.Equal(4, cases.Count);
        foreach (var item in cases)
        {
            SessionScript.Verify(item!, detailed: true);
        }
    }

    /// <summary>The committed file; while writing (the copy in the output folder may be stale), what is being written.</summary>
    private static JsonNode Committed(string file)
    {
        if (VectorGenerator.Writing)
        {
            return VectorGenerator.Compute(file);
        }

        var path = Path.Combine(AppContext.BaseDirectory, "vectors", file);
        Assert.True(File.Exists(path), $"tests/vectors/{file} is missing: run the tests once with {VectorGenerator.WriteVariable}=1 and commit it.");
        return JsonNode.Parse(File.ReadAllText(path))!;
    }
}
