using Messaging.Client.Secure;
using Messaging.Protocol.Storage;

namespace Messaging.Testing;

/// <summary>End-to-end encrypted devices for a <see cref="Scenario"/>: each with its own sealed state folder and storage key.</summary>
public static class SecureScenario
{
    public static SecureMessengerOptions OptionsFor(
        this Scenario scenario, TestPerson person, TempDirectory folder, StorageKey key, int prekeyBatch = 20, HttpMessageHandler? handler = null) => new()
        {
            ServerUri = scenario.BaseAddress,
            // A patient's device needs the emailed code at registration; the scenario reads it from the server's mail.
            SignIn = ct => scenario.FreshTokenAsync(person, newDevice: person.IsPatient, cancellationToken: ct),
            Storage = new FileStateStorage(folder.Path),
            StorageKey = key,
            ReconnectBackoff = Scenario.FastBackoff,
            PrekeyBatch = prekeyBatch,
            HttpMessageHandler = handler,
        };

    /// <summary>Reads exactly <paramref name="count"/> new text messages, or fails on timeout.</summary>
    public static async Task<List<HistoryEntry>> ReceiveTextsAsync(this SecureMessenger messenger, int count, int timeoutSeconds = 30)
    {
        var received = new List<HistoryEntry>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await foreach (var entry in messenger.ReceiveAsync(timeout.Token))
            {
                received.Add(entry);
                if (received.Count == count)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"Received {received.Count} of {count} messages before the timeout.");
        }

        return received;
    }
}
