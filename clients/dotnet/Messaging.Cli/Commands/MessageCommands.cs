using System.CommandLine;
using System.Text.Json;
using Messaging.Client.Secure;

namespace Messaging.Cli.Commands;

/// <summary>
/// Sending and receiving through the profile's device. The device renews its session with its sealed refresh token
/// and its key, so no code is asked for, unless the session has ended (then the sign-in prompts as `login` does).
/// </summary>
internal static class MessageCommands
{
    public static Command Send()
    {
        var conversation = new Option<Guid>("--conversation") { Description = "Conversation id.", Required = true };
        var text = new Option<string>("--text") { Description = "The message (encrypted on this device).", Required = true };
        var command = new Command("send", "Send an end-to-end encrypted message; prints its id once the server stored it.") { conversation, text };
        command.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            await using var session = DeviceSession.Open(CliContext.LoadProfile(result), Secrets.Password(), CliContext.Method(result));
            await session.RunAsync(async ct =>
            {
                await session.Messenger.ConnectAsync(ct);
                Console.WriteLine(await session.Messenger.SendTextAsync(result.GetValue(conversation), result.GetValue(text)!, ct));
            }, cancellationToken);
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
            await using var session = DeviceSession.Open(CliContext.LoadProfile(result), Secrets.Password(), CliContext.Method(result));
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (result.GetValue(timeout) is { } seconds)
            {
                stop.CancelAfter(TimeSpan.FromSeconds(seconds));
            }

            try
            {
                await session.RunAsync(async ct =>
                {
                    await session.Messenger.ConnectAsync(ct);
                    var seen = 0;
                    await foreach (var entry in session.Messenger.ReceiveAsync(ct))
                    {
                        Print(entry, result.GetValue(json));
                        if (++seen == result.GetValue(count))
                        {
                            break;
                        }
                    }
                }, stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // --timeout or Ctrl+C: a normal end.
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
