using System.CommandLine;
using Messaging.Bench;
using Messaging.Bench.Load;
using Messaging.Bench.Relay;
using Messaging.Testing;

var root = new RootCommand("Benchmarks the durable server against a bare SignalR relay in the same run (docs/benchmarks.md).");
foreach (var option in BenchSettings.All)
{
    root.Options.Add(option);
}

root.SetAction((result, _) =>
{
    InlineSocketCompletions.EnableForThisProcess();
    return BenchRun.RunAsync(BenchSettings.From(result, RepositoryPaths.Root));
});

var urls = new Option<string>("--urls") { Description = "Where the relay listens (loopback).", Required = true };
var relay = new Command("relay", "Runs the bare relay; the benchmark starts it as a child process.") { urls };
relay.SetAction((result, cancellationToken) => RelayHost.RunAsync(result.GetValue(urls)!, cancellationToken));
root.Subcommands.Add(relay);

return await root.Parse(args).InvokeAsync();
