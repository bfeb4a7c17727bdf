using Messaging.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Messaging.Server.Hosting;

/// <summary>The one place that builds error answers, over HTTP (problem details) and on the hub.</summary>
internal static class Problems
{
    public static ProblemHttpResult Http(string code, int status, string title, string? detail = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: ErrorCodes.TypeUri(code));

    public static ProblemHttpResult Invalid(string detail) =>
        Http(ErrorCodes.InvalidRequest, StatusCodes.Status400BadRequest, "The request is not valid.", detail);

    public static ProblemHttpResult NotFound(string what) =>
        Http(ErrorCodes.NotFound, StatusCodes.Status404NotFound, $"{what} was not found.");

    public static ProblemHttpResult Forbidden(string code, string title) =>
        Http(code, StatusCodes.Status403Forbidden, title);

    public static HubError Hub(string code, string message) => new() { Code = code, Message = message };

    /// <summary>The problem type for an HTTP status that no handler described (e.g. 404 for an unknown route).</summary>
    public static string CodeForStatus(int status) => status switch
    {
        StatusCodes.Status400BadRequest => ErrorCodes.InvalidRequest,
        StatusCodes.Status401Unauthorized => ErrorCodes.Unauthenticated,
        StatusCodes.Status403Forbidden => ErrorCodes.Forbidden,
        StatusCodes.Status404NotFound => ErrorCodes.NotFound,
        StatusCodes.Status409Conflict => ErrorCodes.Conflict,
        StatusCodes.Status413PayloadTooLarge => ErrorCodes.PayloadTooLarge,
        _ => ErrorCodes.Internal,
    };
}
