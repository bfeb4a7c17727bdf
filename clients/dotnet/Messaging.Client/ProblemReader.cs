using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Contracts;

namespace Messaging.Client;

/// <summary>Turns a non-success HTTP answer into a <see cref="MessagingException"/>.</summary>
internal static class ProblemReader
{
    private static readonly string TypePrefix = ErrorCodes.TypeUri("");

    public static async Task<MessagingException> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var problem = await TryReadProblemAsync(response, cancellationToken);
        var code = problem?.Type is { } type && type.StartsWith(TypePrefix, StringComparison.Ordinal) && type.Length > TypePrefix.Length
            ? type[TypePrefix.Length..]
            : CodeFromStatus(status);
        return Errors.Http(status, code, problem?.Title, problem?.Detail);
    }

    /// <summary>The code for an answer without a problem type of ours (a proxy's page, a framework default).</summary>
    internal static string CodeFromStatus(int status) => status switch
    {
        400 => ErrorCodes.InvalidRequest,
        401 => ErrorCodes.Unauthenticated,
        403 => ErrorCodes.Forbidden,
        404 => ErrorCodes.NotFound,
        409 => ErrorCodes.Conflict,
        413 => ErrorCodes.PayloadTooLarge,
        >= 500 => ErrorCodes.Internal,
        _ => $"http-{status}",
    };

    private static async Task<ProblemBody?> TryReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is not ("application/problem+json" or "application/json"))
        {
            return null;
        }

        try
        {
            return await response.Content.ReadFromJsonAsync<ProblemBody>(JsonSerializerOptions.Web, cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record ProblemBody(string? Type, string? Title, int? Status, string? Detail);
}
