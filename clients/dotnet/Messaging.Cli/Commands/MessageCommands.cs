using System.CommandLine;
using System.Text.Json;
using Messaging.Client.Secure;

namespace Messaging.Cli.Commands;

internal static class MessageCommands
{
    public static Command Send()
    {
        var conversation = new Option<Guid>("--conversation") { Description = "Conversation id.", Required = true };
        var text = new Option<string>("--text") { Description = "The message (encrypted on this device).", Required = true };
        var command = new Command("send", "Send an end-to-end encrypted message; prints its id once the server stored it.") { conversation, text };
        command.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            var profile = CliContext.LoadProfile(result);
            await using var messenger = DeviceSession.Open(profile, Secrets.Password(), out var key);
            using (key)
            {
                await messenger.ConnectAsync(cancellationToken);
                Console.WriteLine(await messenger.SendTextAsync(result.GetValue(conversation), result.GetValue(text)!, cancellationToken));
            }
        }));
        return command;
    }

    public static Command Listen()
    {
        var count = new Option<int?>("--count") { Description = "Stop after this many messages." };
        var timeout = new Option<int?>("--timeout") { Description = "Stop after this many seconds." };
        var json = new Option<bool>("--json") { Description = "One JSON object per line." };
        var command = new Command("listen", "Receive, decrypt and print messages (waiting ones first), until --count, --timeout or Ctrl+C.")
        {
            count, timeout, json,
        };
        command.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            var profile = CliContext.LoadProfile(result);
            await using var messenger = DeviceSession.Open(profile, Secrets.Password(), out var key);
            using (key)
            using (var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                if (result.GetValue(timeout) is { } seconds)
                {
                    stop.CancelAfter(TimeSpan.FromSeconds(seconds));
                }

                await messenger.ConnectAsync(stop.Token);
                var seen = 0;
                try
                {
                    await foreach (var entry in messenger.ReceiveAsync(stop.Token))
                    {
                        Print(entry, result.GetValue(json));
                        if (++seen == result.GetValue(count))
                        {
                            break;
                        }
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    // --timeout or Ctrl+C: a normal end.
                }
            }
        }));
        return command;
    }

    private static void Print(HistoryEntry entry, bool json)
    {
        Console.WriteLine(json
            ? JsonSerializer.Serialize(entry, JsonSerializerOptions.Web)
            : $"[{DateTimeOffset.FromUnixTimeMilliseconds(entry.SentAtUnixMs):u}] {entry.ConversationId} #{entry.Sequence} {entry.SenderAccountId}: {entry.Text}");
        Console.Out.Flush();
    }
}
