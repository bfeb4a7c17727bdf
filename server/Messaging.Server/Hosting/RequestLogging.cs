using System.Diagnostics;

namespace Messaging.Server.Hosting;

/// <summary>
/// Our own request log: method, route path, status and duration. The framework's request log is switched off
/// because it writes the full query string, and browsers must put the access token there for WebSockets.
/// </summary>
internal sealed partial class RequestLogging(RequestDelegate next, ILogger<RequestLogging> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var path = context.Request.Path.Value ?? "";
            LogRequest(logger, context.Request.Method, path, context.Response.StatusCode, elapsedMs);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP {Method} {Path} answered {StatusCode} in {ElapsedMs:0.0} ms")]
    private static partial void LogRequest(ILogger logger, string method, string path, int statusCode, double elapsedMs);
}
