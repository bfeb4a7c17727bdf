namespace Messaging.Bench.Targets;

/// <summary>One simulated device: its hub connection and the device it writes to (its pair's other half).</summary>
internal sealed class BenchDevice(Guid id, Guid conversationId, LeanHubConnection connection)
{
    public Guid Id { get; } = id;

    public Guid ConversationId { get; } = conversationId;

    public LeanHubConnection Connection { get; } = connection;

    public BenchDevice Peer { get; set; } = null!;
}
