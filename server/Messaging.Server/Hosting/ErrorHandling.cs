using Messaging.Contracts;
using Microsoft.AspNetCore.Diagnostics;

namespace Messaging.Server.Hosting;

/// <summary>
/// Every error leaves as problem details with a stable type: malformed JSON and bad parameters (400), unknown
/// routes (404), and anything unexpected (500, without internals).
/// </summary>
internal static class ErrorHandling
{
    public static IServiceCollection AddErrorHandling(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            var status = problem.Status ?? context.HttpContext.Response.StatusCode;
            if (problem.Type is null || !problem.Type.StartsWith("urn:messaging:", StringComparison.Ordinal))
            {
                problem.Type = ErrorCodes.TypeUri(Problems.CodeForStatus(status));
            }

            // Exception details and trace ids of other layers stay in the server's logs, not in the answer.
            problem.Extensions.Remove("exception");
        });
        services.AddExceptionHandler<BadRequestHandler>();
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        return services;
    }

    public static WebApplication UseErrorHandling(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }

    private sealed class BadRequestHandler(IProblemDetailsService problems) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            if (exception is not BadHttpRequestException bad)
            {
                return false;
            }

            var tooLarge = bad.StatusCode == StatusCodes.Status413PayloadTooLarge;
            httpContext.Response.StatusCode = bad.StatusCode;
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = httpContext,
                ProblemDetails =
                {
                    Status = bad.StatusCode,
                    Type = ErrorCodes.TypeUri(tooLarge ? ErrorCodes.PayloadTooLarge : ErrorCodes.InvalidRequest),
                    Title = tooLarge ? "The request body is too large." : "The request is not valid.",
                    // The framework's message names the parameter or the JSON position; it never echoes values.
                    Detail = bad.Message,
                },
            });
        }
    }
}
