using Messaging.Contracts;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Messaging.Testing;

/// <summary>A bare SignalR connection to the hub, for sending what a well-behaved client never would.</summary>
public static class RawHub
{
    public static HubConnection Create(Uri baseAddress, string? token) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(baseAddress, Routes.Hub), options =>
            {
                options.Transports = HttpTransportType.WebSockets;
                options.SkipNegotiation = true;
                if (token is not null)
                {
                    options.AccessTokenProvider = () => Task.FromResult<string?>(token);
                }
            })
            .Build();

    /// <summary>Completes when the connection closes (it does not reconnect by itself): register before starting it.</summary>
    public static Task ClosedSignal(HubConnection connection)
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        return closed.Task;
    }

    public static async Task<HubConnection> ConnectAsync(Uri baseAddress, string token)
    {
        var connection = Create(baseAddress, token);
        await connection.StartAsync(Scenario.Timeout());
        return connection;
    }

    /// <summary>
    /// Connects and returns once the server has registered the connection for live pushes. StartAsync returns at the
    /// handshake, before the hub's OnConnectedAsync has run; the server handles a connection's calls only after it,
    /// so one answered call (an empty drain) proves the connection is registered. Reads the device's queue, deletes nothing.
    /// </summary>
    public static async Task<HubConnection> ConnectForPushesAsync(Uri baseAddress, string token)
    {
        var connection = await ConnectAsync(baseAddress, token);
        await foreach (var _ in connection.StreamAsync<Delivery>(HubMethods.Drain, Scenario.Timeout()))
        {
        }

        return connection;
    }
}
