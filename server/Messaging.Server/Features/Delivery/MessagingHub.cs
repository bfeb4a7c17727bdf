using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Devices;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Messaging.Server.Features.Delivery;

/// <summary>
/// The hub authenticates, joins the device's group and hands work to <see cref="DeliveryService"/>. It holds no
/// business logic. Every method acts for the device named in the caller's token, never one named by the client.
/// </summary>
[Authorize(Policy = Policies.Device)]
internal sealed class MessagingHub(DeliveryService delivery, DeviceConnections connections, DevicePush push, IDeviceStore devices) : Hub
{
    public override async Task OnConnectedAsync()
    {
        var deviceId = DeviceId;
        if (await devices.FindAsync(deviceId, Context.ConnectionAborted) is not { IsActive: true } device || device.AccountId != Caller.AccountId)
        {
            Context.Abort();
            return;
        }

        // The caller is read from the token once per connection, not on every call (it cannot change). It is kept as a
        // connection feature: Context.Items would give every connection a concurrent dictionary of its own.
        Context.Features.Set(Caller);
        connections.Add(deviceId, Context);
        if (push.UsesGroups)
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, DevicePush.Group(deviceId));
        }

        await base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        connections.Remove(DeviceId, Context);
        return base.OnDisconnectedAsync(exception);
    }

    [HubMethodName(HubMethods.Send)]
    public Task<SendResult> SendAsync(SendRequest request) =>
        delivery.SendAsync(Caller, DeviceId, request, Context.ConnectionAborted);

    [HubMethodName(HubMethods.Acknowledge)]
    public Task<AcknowledgeResult> AcknowledgeAsync(AcknowledgeRequest request) =>
        delivery.AcknowledgeAsync(DeviceId, request, Context.ConnectionAborted);

    [HubMethodName(HubMethods.Drain)]
    public IAsyncEnumerable<Contracts.Delivery> DrainAsync(CancellationToken cancellationToken) =>
        delivery.DrainAsync(DeviceId, cancellationToken);

    private Caller Caller => Context.Features.Get<Caller>() ?? Caller.From(Context.User!);

    private Guid DeviceId => Caller.DeviceId ?? throw new HubException(ErrorCodes.DeviceRequired);
}
