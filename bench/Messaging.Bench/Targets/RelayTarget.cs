using Messaging.Bench.Load;
using Messaging.Bench.Relay;
using Messaging.Contracts;

namespace Messaging.Bench.Targets;

/// <summary>The bare relay (no storage, no authentication, no acknowledgement): a delivery counts when it arrives.</summary>
internal sealed class RelayTarget : BenchTarget
{
    private RelayProcess relay = null!;
    private ProcessMeter meter = null!;

    public override string Name => "bare relay";

    public override ProcessMeter Process => meter;

    public async Task StartAsync(int deviceCount)
    {
        relay = await RelayProcess.StartAsync();
        meter = new ProcessMeter(relay.ProcessId);
        var pairs = new (BenchDevice A, BenchDevice B)[deviceCount / 2];
        await HubConnections.ForEachAsync(Enumerable.Range(0, pairs.Length), 8, async (i, _) =>
        {
            var conversation = Guid.CreateVersion7();
            pairs[i] = (await ConnectAsync(conversation), await ConnectAsync(conversation));
        });
        foreach (var (a, b) in pairs)
        {
            (a.Peer, b.Peer) = (b, a);
        }

        Devices = [.. pairs.SelectMany(p => new[] { p.A, p.B })];
    }

    public override async Task SendAsync(BenchDevice from, byte[] payload) =>
        _ = await from.Connection.InvokeAsync<SendResult>(HubMethods.Send, new SendRequest
        {
            ConversationId = from.ConversationId,
            MessageId = Guid.CreateVersion7(),
            Copies = [new OutgoingCopy { DeviceId = from.Peer.Id, Ciphertext = payload }],
        });

    public override async ValueTask DisposeAsync()
    {
        await DisconnectAllAsync();
        await relay.DisposeAsync();
    }

    private async Task<BenchDevice> ConnectAsync(Guid conversation)
    {
        var id = Guid.CreateVersion7();
        var connection = new LeanHubConnection();
        connection.On<Delivery>(HubMethods.Receive, delivery =>
        {
            Recorder.Received(delivery.Ciphertext);
            Recorder.DeliveredCopies(1);
        });
        await connection.StartAsync(new Uri(relay.BaseAddress, $"{RelayHost.HubPath}?device={id:N}"), accessToken: null);
        return new BenchDevice(id, conversation, connection);
    }
}
