using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Messaging.Testing;

/// <summary>
/// Keeps every log record the server writes, at every level, rendered with all its structured values, so tests
/// can search the logs for things that must never be there.
/// </summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> lines = new();

    public IReadOnlyCollection<string> Lines => lines;

    public string AllText => string.Join('\n', lines);

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            lines.Enqueue($"{category} scope {Render(state)}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lines.Enqueue($"{logLevel} {category} {formatter(state, exception)} {Render(state)} {exception}");
        }

        private static string Render<TState>(TState state) =>
            state is IEnumerable<KeyValuePair<string, object?>> values
                ? string.Join(' ', values.Select(v => $"{v.Key}={v.Value}"))
                : state?.ToString() ?? "";
    }
}
