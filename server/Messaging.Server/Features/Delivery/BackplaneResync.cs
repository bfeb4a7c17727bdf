using System.Threading.Channels;
using Messaging.Contracts;
using Messaging.Server.Features.Devices;

namespace Messaging.Server.Features.Delivery;

/// <summary>
/// Pushes again every copy waiting for the devices connected to this node, once the Redis backplane is back after an
/// outage (<see cref="Hosting.ClusterSignals"/> asks). While it was down, pushes published by any node were lost, and a
/// device that stayed connected would only have drained them on its next connection, up to an access token's lifetime
/// later. Copies it already holds come again; the client keeps one of each per connection and acknowledging twice is
/// harmless, as with any drain.
/// </summary>
internal sealed partial class BackplaneResync(
    DeliveryService delivery,
    DeviceConnections connections,
    DevicePush push,
    Hosting.OutageTolerantBackplane backplane,
    ILogger<BackplaneResync> logger) : BackgroundService
{
    // One pending request is enough: a resync reads the queues as they are when it runs, so requests that arrive while
    // one runs are served by a single run after it.
    private readonly Channel<bool> requests = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Request() => requests.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var _ in requests.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await ResyncAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The store failed under it: the devices still get their copies with their next drain.
                LogResyncFailed(logger, e.GetType().Name);
            }
        }
    }

    private async Task ResyncAsync(CancellationToken cancellationToken)
    {
        // First, so that what is pushed from now on reaches them too; pushes in between come again below.
        var openedDuringOutage = await backplane.JoinWaitingAsync();
        var (devices, copies) = (0, 0);
        foreach (var deviceId in connections.Devices)
        {
            devices++;
            await foreach (var copy in delivery.DrainAsync(deviceId, acknowledgementsApplied: Task.CompletedTask, cancellationToken))
            {
                copies++;
                await push.SendLocalAsync(deviceId, HubMethods.Receive, copy);
            }
        }

        LogResynced(logger, copies, devices, openedDuringOutage);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The backplane is back: pushed {Copies} waiting copies again to {Devices} connected devices; {OpenedDuringOutage} hub connections were opened here meanwhile, and those still open have joined it")]
    private static partial void LogResynced(ILogger logger, int copies, int devices, int openedDuringOutage);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not push the waiting copies again after the backplane came back ({Error})")]
    private static partial void LogResyncFailed(ILogger logger, string error);
}
