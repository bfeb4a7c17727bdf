using Messaging.Server.Hosting;

if (AdminCommands.IsCommand(args))
{
    return await AdminCommands.RunAsync(args);
}

// A server that cannot start says why and exits with 1, rather than leaving the exception to the runtime, which
// prints it with its stack on standard error and aborts the process (exit 134, as for a crash).
WebApplication app;
try
{
    app = ServerHost.Build(args);
}
catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or FormatException or ArgumentException)
{
    // Nothing logs yet: what failed is the configuration (the server keys, the store, email), and its message names
    // the setting or the file, never a secret's value.
    await Console.Error.WriteLineAsync($"The server could not start: {e.Message}");
    return 1;
}

await using (app)
{
    try
    {
        await app.RunAsync();
    }
    catch (OperationCanceledException)
    {
        // Stopped (SIGTERM, Ctrl+C) before it had finished starting.
    }
    catch (Exception e) when (e is not OutOfMemoryException)
    {
        // The host has logged it, with the exception, as "Hosting failed to start": a refused migration, a file that is
        // not a database, a port in use.
        return 1;
    }
}

return 0;
