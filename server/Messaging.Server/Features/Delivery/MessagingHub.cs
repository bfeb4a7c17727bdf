using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Accounts.Sessions;
using Messaging.Server.Features.Devices;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Messaging.Server.Features.Delivery;

/// <summary>
/// The hub authenticates, registers the connection for the device's pushes and hands work to
/// <see cref="DeliveryService"/>. It holds no business logic. Every method acts for the device named in the caller's
/// token, never one named by the client.
/// </summary>
[Authorize(Policy = Policies.Device)]
internal sealed class MessagingHub(
    DeliveryService delivery, DeviceConnections connections, DevicePush push, IDeviceStore devices, ISessionStore sessions) : Hub
{
    public override async Task OnConnectedAsync()
    {
        // The caller is read from the token once per connection, not on every call (it cannot change). It is kept as a
        // connection feature: Context.Items would give every connection a concurrent dictionary of its own.
        var caller = Caller;
        var deviceId = DeviceId;
        Context.Features.Set(caller);
        Context.Features.Set(new AcknowledgementsInFlight());

        // Registered before the checks, not after: a sign-out or revocation that lands after the token was accepted
        // either finds this connection to abort or is seen by the checks below. Checked first and registered after,
        // a revocation in between would leave the connection open, and pushed to, until its access token expired.
        connections.Add(deviceId, Context);
        try
        {
            if (!await IsStillAllowedAsync(caller, deviceId))
            {
                connections.Remove(deviceId, Context);
                Context.Abort();
                return;
            }

            if (push.UsesGroups)
            {
                await Groups.AddToGroupAsync(Context.ConnectionId, DevicePush.Group(deviceId));
            }
        }
        catch
        {
            // SignalR does not call OnDisconnectedAsync when OnConnectedAsync throws: leave nothing registered.
            connections.Remove(deviceId, Context);
            throw;
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
    public async Task<AcknowledgeResult> AcknowledgeAsync(AcknowledgeRequest request)
    {
        var inFlight = AcknowledgementsInFlight;
        inFlight.Started();
        try
        {
            return await delivery.AcknowledgeAsync(Caller, DeviceId, request, Context.ConnectionAborted);
        }
        finally
        {
            inFlight.Finished();
        }
    }

    /// <summary>
    /// The acknowledgement without an answer: a copy whose acknowledgement never arrives is not lost, it comes again
    /// with the next drain, so the client need not wait. Only a refusal goes back, to the calling connection.
    /// </summary>
    [HubMethodName(HubMethods.AcknowledgeQuietly)]
    public async Task AcknowledgeQuietlyAsync(AcknowledgeRequest request)
    {
        var result = await AcknowledgeAsync(request);
        if (result.Error is { } error)
        {
            await Clients.Caller.SendAsync(HubMethods.AcknowledgeRefused, error, Context.ConnectionAborted);
        }
    }

    /// <summary>The device's queue, read once this connection's acknowledgements sent before the drain are applied.</summary>
    [HubMethodName(HubMethods.Drain)]
    public IAsyncEnumerable<Contracts.Delivery> DrainAsync(CancellationToken cancellationToken) =>
        delivery.DrainAsync(DeviceId, AcknowledgementsInFlight.AppliedAsync(), cancellationToken);

    /// <summary>
    /// The device is still active and the caller's, and the token's session has not ended since the token was checked.
    /// </summary>
    private async Task<bool> IsStillAllowedAsync(Caller caller, Guid deviceId) =>
        await devices.FindAsync(deviceId, Context.ConnectionAborted) is { IsActive: true } device
        && device.AccountId == caller.AccountId
        && (caller.SessionId is not { } sessionId || await sessions.FindAsync(sessionId, Context.ConnectionAborted) is { IsRevoked: false });

    private Caller Caller => Context.Features.Get<Caller>() ?? Caller.From(Context.User!);

    private AcknowledgementsInFlight AcknowledgementsInFlight =>
        Context.Features.Get<AcknowledgementsInFlight>() ?? throw new InvalidOperationException("The connection was not set up.");

    private Guid DeviceId => Caller.DeviceId ?? throw new HubException(ErrorCodes.DeviceRequired);
}
