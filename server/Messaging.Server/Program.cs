using Messaging.Server.Hosting;

if (AdminCommands.IsCommand(args))
{
    return await AdminCommands.RunAsync(args);
}

await using var app = ServerHost.Build(args);
await app.RunAsync();
return 0;
