using Microsoft.AspNetCore.SignalR.Client;

namespace Messaging.Bench.Targets;

/// <summary>One simulated device: its hub connection and the device it writes to (its pair's other half).</summary>
internal sealed class BenchDevice(Guid id, Guid conversationId, HubConnection connection)
{
    public Guid Id { get; } = id;

    public Guid ConversationId { get; } = conversationId;

    public HubConnection Connection { get; } = connection;

    public BenchDevice Peer { get; set; } = null!;
}
