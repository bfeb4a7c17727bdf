using System.Text.Json.Nodes;

namespace Messaging.Server.Tests.Security;

/// <summary>
/// Hostile request bodies made from the server's own OpenAPI document: for each request schema, a plausible body
/// (every property present, of its type), then that body with one property at a time replaced by values a careless or
/// malicious client sends (null, missing, the wrong type, empty, huge, outside an alphabet, out of range), and bodies
/// that are not the object at all. Nested objects and the first item of arrays are varied the same way.
/// </summary>
internal sealed class HostileRequests(JsonObject openApi)
{
    /// <summary>A body shaped like a WebAuthn answer whose every field is garbage (passkey ceremonies parse these).</summary>
    private static readonly JsonObject GarbageCredential = new()
    {
        ["id"] = "*",
        ["rawId"] = "!!!",
        ["type"] = "public-key",
        ["response"] = new JsonObject { ["clientDataJSON"] = "e30", ["attestationObject"] = "AAAA", ["authenticatorData"] = "", ["signature"] = "%%" },
    };

    private const string BodyMarker = "(body)";

    /// <summary>The whole bodies that are not a request object: each is sent raw with the JSON content type.</summary>
    public static IEnumerable<(string What, string Json)> NotAnObject()
    {
        yield return ("empty body", "");
        yield return ("truncated JSON", "{\"a\":");
        yield return ("null", "null");
        yield return ("an array", "[]");
        yield return ("a string", "\"x\"");
        yield return ("a number", "1e400");
        yield return ("nesting 2,000 deep", new string('[', 2000) + new string(']', 2000));
        yield return ("a duplicated property", "{\"x\":1,\"x\":2}");
    }

    /// <summary>The plausible body for <paramref name="schemaRef"/>, then one variant per hostile value of each property.</summary>
    public IEnumerable<(string What, string Json)> Bodies(string schemaRef)
    {
        var schema = Resolve(new JsonObject { ["$ref"] = schemaRef });
        var baseline = Baseline(schema, depth: 0);
        yield return ("plausible body", baseline!.ToJsonString());
        foreach (var (path, replacement) in Variants(schema, BodyMarker, depth: 0))
        {
            var body = baseline.DeepClone();
            Apply(body, path.Split('/')[1..], replacement);
            yield return ($"{string.Join('/', path.Split('/')[1..])} = {Describe(replacement)}", body.ToJsonString());
        }
    }

    /// <summary>Hostile values for a route parameter that is an id.</summary>
    public static IEnumerable<string> HostileIds() =>
        ["not-a-guid", "00000000-0000-0000-0000-000000000000", Guid.NewGuid().ToString(), "%2E%2E%2F%2E%2E", new string('1', 2000), "%00"];

    private IEnumerable<(string Path, Replacement Value)> Variants(JsonObject schema, string path, int depth)
    {
        if (depth > 3 || schema["properties"] is not JsonObject properties)
        {
            yield break;
        }

        foreach (var (name, propertySchemaNode) in properties)
        {
            var propertySchema = Resolve(propertySchemaNode!);
            var propertyPath = $"{path}/{name}";
            yield return (propertyPath, Replacement.Remove);
            yield return (propertyPath, new Replacement(null));
            foreach (var value in HostileValues(propertySchema))
            {
                yield return (propertyPath, new Replacement(value));
            }

            if (Types(propertySchema).Contains("object"))
            {
                foreach (var nested in Variants(propertySchema, propertyPath, depth + 1))
                {
                    yield return nested;
                }
            }

            if (Types(propertySchema).Contains("array") && propertySchema["items"] is { } items
                && Resolve(items) is var itemSchema && Types(itemSchema).Contains("object"))
            {
                foreach (var nested in Variants(itemSchema, $"{propertyPath}/0", depth + 1))
                {
                    yield return nested;
                }
            }
        }
    }

    private IEnumerable<JsonNode?> HostileValues(JsonObject schema)
    {
        var types = Types(schema);
        var format = (string?)schema["format"];
        if (types.Contains("string") && format == "uuid")
        {
            return ["", "not-a-guid", "00000000-0000-0000-0000-000000000000", 12];
        }

        if (types.Contains("string") && format == "byte")
        {
            return ["", "*!*", "AAAA", Convert.ToBase64String(new byte[300_000]), 12];
        }

        if (types.Contains("string") && format == "date-time")
        {
            return ["", "yesterday", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"];
        }

        if (types.Contains("string"))
        {
            return ["", " ", "*", "\u0000", "é✓\U0001F600", new string('x', 100_000), "AB=C", "../../etc/passwd", 12];
        }

        if (types.Contains("integer") || types.Contains("number"))
        {
            return [-1, 0, int.MaxValue, int.MinValue, JsonNode.Parse("1e30"), 1.5, "1"];
        }

        if (types.Contains("boolean"))
        {
            return ["true", 2];
        }

        if (types.Contains("array"))
        {
            // 2,000 items: far more than any list the server takes, and under the prekey upload's 512 KiB, whose early
            // 413 a larger body can lose when the server closes the connection while the client is still sending.
            var item = schema["items"] is { } items ? Baseline(Resolve(items), depth: 1) : null;
            return [new JsonArray(), new JsonArray((JsonNode?)null), new JsonArray([.. Enumerable.Range(0, 2_000).Select(_ => item?.DeepClone())]), "x"];
        }

        // An object, or a JsonElement (schema-less JSON the server parses itself, such as a WebAuthn answer).
        return [new JsonObject(), new JsonArray(), "x", 1, GarbageCredential.DeepClone()];
    }

    private JsonNode? Baseline(JsonObject schema, int depth)
    {
        var types = Types(schema);
        var format = (string?)schema["format"];
        if (types.Contains("object") && schema["properties"] is JsonObject properties && depth <= 3)
        {
            var body = new JsonObject();
            foreach (var (name, propertySchema) in properties)
            {
                body[name] = Baseline(Resolve(propertySchema!), depth + 1);
            }

            return body;
        }

        return (types.FirstOrDefault(), format) switch
        {
            ("string", "uuid") => Guid.NewGuid().ToString(),
            ("string", "byte") => Convert.ToBase64String(new byte[32]),
            ("string", "date-time") => DateTimeOffset.UtcNow.ToString("O"),
            ("string", _) => "x",
            ("integer" or "number", _) => 1,
            ("boolean", _) => true,
            ("array", _) => new JsonArray(schema["items"] is { } items ? Baseline(Resolve(items), depth + 1) : null),
            _ => new JsonObject(),
        };
    }

    /// <summary>The schema a node stands for: its <c>$ref</c> followed, and a "null or X" union read as X.</summary>
    private JsonObject Resolve(JsonNode node)
    {
        var schema = node.AsObject();
        if (schema["oneOf"] is JsonArray oneOf)
        {
            schema = oneOf.Select(s => s!.AsObject()).First(s => (string?)s["type"] != "null");
        }

        if ((string?)schema["$ref"] is { } reference)
        {
            schema = openApi["components"]!["schemas"]![reference.Split('/')[^1]]!.AsObject();
        }

        return schema;
    }

    /// <summary>The schema's types without "null" (OpenAPI 3.1 writes a nullable type as ["null", "string"]).</summary>
    private static List<string> Types(JsonObject schema) => schema["type"] switch
    {
        JsonArray types => [.. types.Select(t => (string)t!).Where(t => t != "null")],
        JsonValue type => [(string)type!],
        _ => schema["properties"] is not null ? ["object"] : [],
    };

    private static void Apply(JsonNode body, string[] path, Replacement replacement)
    {
        var parent = path[..^1].Aggregate(body, (node, step) => node is JsonArray array ? array[int.Parse(step, System.Globalization.CultureInfo.InvariantCulture)]! : node[step]!);
        var last = path[^1];
        if (replacement.IsRemove)
        {
            parent.AsObject().Remove(last);
        }
        else
        {
            parent[last] = replacement.Value?.DeepClone();
        }
    }

    private static string Describe(Replacement replacement)
    {
        if (replacement.IsRemove)
        {
            return "(missing)";
        }

        var json = replacement.Value?.ToJsonString() ?? "null";
        return json.Length > 40 ? $"{json[..30]}… ({json.Length} chars)" : json;
    }

    /// <summary>A value to put in place of a property, or the property's removal.</summary>
    private sealed record Replacement(JsonNode? Value, bool IsRemove = false)
    {
        public static readonly Replacement Remove = new(null, IsRemove: true);
    }
}
