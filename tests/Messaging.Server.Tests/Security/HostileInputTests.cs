using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Messaging.Contracts;

namespace Messaging.Server.Tests.Security;

/// <summary>
/// Every HTTP route of the OpenAPI document, as callers of every kind, with hostile bodies and route ids
/// (<see cref="HostileRequests"/>): none may fail with a 5xx, and every refusal must be problem details with a stable
/// code. A world of its own, since some of the plausible bodies succeed (a practice named "x", a TOTP enrolment begun).
/// Deletions are only sent to ids that do not exist, so that the callers keep their sessions and devices.
/// </summary>
public sealed class HostileInputTests(AuthorizationWorld world) : IClassFixture<AuthorizationWorld>
{
    private const string NoAnswer = "no answer";

    private static readonly string ProblemTypePrefix = ErrorCodes.TypeUri("");

    [Fact]
    public async Task EveryRoute_HostileBodiesAndIds_AreRefusedWithProblemDetailsNeverA5xx()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient { BaseAddress = world.Server.BaseAddress, Timeout = TimeSpan.FromMinutes(1) };
        var openApi = JsonNode.Parse(await http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative), ct))!.AsObject();
        var hostile = new HostileRequests(openApi);
        var requests = new List<HostileRequest>();
        foreach (var (path, operations) in openApi["paths"]!.AsObject())
        {
            foreach (var (method, operation) in operations!.AsObject())
            {
                requests.AddRange(RequestsFor(hostile, new HttpMethod(method.ToUpperInvariant()), path, operation!.AsObject()));
            }
        }

        var callers = Callers();
        var failures = new ConcurrentQueue<string>();
        var sent = 0;
        await Parallel.ForEachAsync(
            requests.SelectMany(r => callers.Select(c => (Request: r, Caller: c))),
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct },
            async (item, token) =>
            {
                Interlocked.Increment(ref sent);
                var failure = await FailureAsync(http, item.Request, item.Caller.Token, token);
                if (failure?.StartsWith(NoAnswer, StringComparison.Ordinal) == true)
                {
                    // Once more: a large body refused before it was read closes its connection, and a request the
                    // client had already put on that connection gets no answer, through no fault of the server.
                    failure = await FailureAsync(http, item.Request, item.Caller.Token, token);
                }

                if (failure is not null)
                {
                    failures.Enqueue($"{item.Request.Method} {item.Request.Route} as {item.Caller.Name}, {item.Request.What}: {failure}");
                }
            });

        Assert.True(sent > 5_000, $"Only {sent} requests were made: the OpenAPI document was not read as expected.");
        Assert.True(failures.IsEmpty, $"{failures.Count} of {sent} hostile requests failed:\n{string.Join('\n', failures.Take(40))}");
    }

    private List<(string Name, string? Token)> Callers() =>
    [
        ("anonymous", null),
        ("doctorA-no-second-factor", world["doctorA-no-second-factor"].Token),
        ("operator", world["operator"].Token),
        ("adminA", world["adminA"].Token),
        ("doctorA", world["doctorA"].Token),
        ("doctorA's device", world["doctorA"].DeviceToken),
        ("patientA's device", world["patientA"].DeviceToken),
    ];

    private IEnumerable<HostileRequest> RequestsFor(HostileRequests hostile, HttpMethod method, string path, JsonObject operation)
    {
        var parameters = operation["parameters"] is JsonArray list ? [.. list.Select(p => (string)p!["name"]!)] : new List<string>();
        if (method == HttpMethod.Delete && parameters.Count == 0)
        {
            yield break; // sign-outs and the consent's withdrawal take nothing from the client, and would end the world's sessions
        }

        // Deletions only ever name ids that do not exist.
        var ids = parameters.ToDictionary(p => p, p => method == HttpMethod.Delete ? Guid.NewGuid().ToString() : RealId(p));
        var route = Fill(path, ids);
        var bodies = operation["requestBody"]?["content"]?["application/json"]?["schema"]?["$ref"] is JsonValue schemaRef
            ? hostile.Bodies((string)schemaRef!).Concat(HostileRequests.NotAnObject())
            : method == HttpMethod.Get ? [] : HostileRequests.NotAnObject();
        string? plausible = null;
        foreach (var (what, json) in bodies)
        {
            plausible ??= json;
            yield return new HostileRequest(method, route, what, json);
        }

        foreach (var parameter in parameters)
        {
            foreach (var id in HostileRequests.HostileIds())
            {
                yield return new HostileRequest(method, Fill(path, new Dictionary<string, string>(ids) { [parameter] = id }), $"{{{parameter}}} = {id[..Math.Min(id.Length, 20)]}", plausible);
            }
        }
    }

    private string RealId(string parameter) => parameter switch
    {
        "practiceId" => world.PracticeA.ToString(),
        "conversationId" => world.ConversationA.ToString(),
        "accountId" => world["doctorA"].Person!.AccountId.ToString(),
        "deviceId" => world["doctorA"].DeviceId!.Value.ToString(),
        _ => Guid.NewGuid().ToString(),
    };

    private static string Fill(string path, IReadOnlyDictionary<string, string> ids) =>
        ids.Aggregate(path, (filled, id) => filled.Replace($"{{{id.Key}}}", id.Value, StringComparison.Ordinal));

    /// <summary>Null when the answer is acceptable: a success, or a refusal as problem details with a code.</summary>
    private static async Task<string?> FailureAsync(HttpClient http, HostileRequest hostile, string? token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(hostile.Method, new Uri(hostile.Route, UriKind.Relative));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (hostile.Json is not null)
        {
            request.Content = new StringContent(hostile.Json, Encoding.UTF8, "application/json");
        }

        HttpResponseMessage answer;
        try
        {
            answer = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            return $"{NoAnswer} ({e.HttpRequestError}: {e.InnerException?.Message ?? e.Message})";
        }

        using var response = answer;
        var status = (int)response.StatusCode;
        if (status < 400)
        {
            return null;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (status >= 500)
        {
            return $"{status} {body[..Math.Min(body.Length, 200)]}";
        }

        if (status == 400 && hostile.Route.Contains("%00", StringComparison.Ordinal) && body.Length == 0)
        {
            return null; // Kestrel refuses a path holding an encoded NUL itself, before any middleware could answer
        }

        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"{status} as {response.Content.Headers.ContentType?.MediaType ?? "no content type"}";
        }

        try
        {
            return JsonNode.Parse(body)?["type"] is JsonValue type && ((string?)type)?.StartsWith(ProblemTypePrefix, StringComparison.Ordinal) == true
                && ((string)type!).Length > ProblemTypePrefix.Length
                ? null
                : $"{status} without a stable code: {body[..Math.Min(body.Length, 200)]}";
        }
        catch (JsonException)
        {
            return $"{status} with a body that is not JSON";
        }
    }

    private sealed record HostileRequest(HttpMethod Method, string Route, string What, string? Json);
}
