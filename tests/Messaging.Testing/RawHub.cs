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

    public static async Task<HubConnection> ConnectAsync(Uri baseAddress, string token)
    {
        var connection = Create(baseAddress, token);
        await connection.StartAsync(Scenario.Timeout());
        return connection;
    }
}
