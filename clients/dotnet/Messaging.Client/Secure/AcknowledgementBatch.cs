using Messaging.Contracts;

namespace Messaging.Client.Secure;

/// <summary>
/// The acknowledgements of one <see cref="SecureMessenger.ReceiveAsync"/> enumeration. Live traffic is acknowledged
/// one delivery at a time, as before; while a backlog is worked through (more deliveries already waiting on the
/// transport), acknowledgements go out together, up to <see cref="MaxSize"/> per hub message instead of one each.
/// </summary>
/// <remarks>
/// Holding an acknowledgement back is safe because each delivery is stored (sealed), with its id in the processed
/// list, before it is added here: if the batch is lost with the connection or the process, the copies come again and
/// are recognised, then only acknowledged. <see cref="MaxSize"/> stays below <see cref="ClientState.ProcessedKept"/>
/// (the ids kept across restarts) so that a batch lost with the process is still recognised after it.
/// </remarks>
internal sealed class AcknowledgementBatch(MessagingClient transport)
{
    /// <summary>Deliveries per acknowledgement at most; servers accept 500 per call by default (protocol.md §9).</summary>
    public const int MaxSize = 100;

    // Does not compile if MaxSize reaches ClientState.ProcessedKept (a negative constant cannot become a uint).
    private const uint BatchFitsInProcessedKept = ClientState.ProcessedKept - MaxSize - 1;

    private readonly List<DeliveryRef> pending = [];

    public void Add(Delivery delivery) => pending.Add(delivery.ToRef());

    /// <summary>Sends what is pending once the batch is full or nothing more is waiting to be processed.</summary>
    public Task SendIfDueAsync(CancellationToken cancellationToken) =>
        pending.Count >= MaxSize || !transport.HasWaitingDeliveries ? SendAsync(cancellationToken) : Task.CompletedTask;

    /// <summary>
    /// Acknowledges without waiting for the server's answer: receiving a backlog then costs no round trip per message.
    /// An acknowledgement that is lost (the connection dropped) only brings the copies again with the next drain.
    /// </summary>
    public async Task SendAsync(CancellationToken cancellationToken)
    {
        if (pending.Count == 0)
        {
            return;
        }

        DeliveryRef[] deliveries = [.. pending];
        pending.Clear();
        await transport.AcknowledgeQuietlyAsync(deliveries, cancellationToken);
    }

    /// <summary>When the enumeration ends, even cancelled: what it processed and had not acknowledged yet.</summary>
    public async Task SendRemainingAsync()
    {
        try
        {
            await SendAsync(CancellationToken.None);
        }
        catch (ObjectDisposedException)
        {
            // The messenger was disposed first: the copies come again with the next drain and are recognised.
        }
    }
}
