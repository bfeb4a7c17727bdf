using Messaging.Client;
using Messaging.Contracts;

namespace Messaging.Testing;

public static class ClientTestExtensions
{
    /// <summary>Reads exactly <paramref name="count"/> deliveries (acknowledging them unless asked not to), or fails on timeout.</summary>
    public static async Task<List<Delivery>> ReceiveAsync(this MessagingClient client, int count, bool acknowledge = true, int timeoutSeconds = 30)
    {
        var received = new List<Delivery>();
        if (count == 0)
        {
            return received;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await foreach (var delivery in client.ReceiveAsync(timeout.Token))
            {
                received.Add(delivery);
                if (acknowledge)
                {
                    await client.AcknowledgeAsync(delivery);
                }

                if (received.Count == count)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"Received {received.Count} of {count} deliveries before the timeout.");
        }

        return received;
    }

    /// <summary>Sends one sealed text to every current device of the conversation but the sender's.</summary>
    public static Task<SendAck> SendTextAsync(this MessagingClient client, Guid conversationId, TestCiphertext cipher, string text, Guid? messageId = null) =>
        client.SendToConversationAsync(conversationId, _ => cipher.Seal(text), messageId);
}
