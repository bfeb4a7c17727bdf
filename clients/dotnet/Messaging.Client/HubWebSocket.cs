using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http.Connections.Client;

namespace Messaging.Client;

/// <summary>
/// Opens the hub's WebSocket as SignalR's own client does outside a browser (the access token in the Authorization
/// header), and tells the server's refusal of one more connection for this device (HTTP 429 instead of the upgrade)
/// from any other failure. SignalR's client reports every failed upgrade alike, with the status only in its message.
/// </summary>
internal static class HubWebSocket
{
    public static Func<WebSocketConnectionContext, CancellationToken, ValueTask<WebSocket>> Factory(Func<Task<string?>> accessTokenProvider) =>
        async (context, cancellationToken) =>
        {
            var socket = new ClientWebSocket();
            try
            {
                socket.Options.CollectHttpResponseDetails = true;
                if (await accessTokenProvider() is { Length: > 0 } token)
                {
                    socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
                }

                await socket.ConnectAsync(context.Uri, cancellationToken);
                return socket;
            }
            catch (WebSocketException e) when (socket.HttpStatusCode == HttpStatusCode.TooManyRequests)
            {
                socket.Dispose();
                throw new HubConnectionRefusedException(e);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
}

/// <summary>The server refused a new hub connection: this device holds as many as a node allows.</summary>
internal sealed class HubConnectionRefusedException(Exception inner)
    : IOException("The server refused the connection: this device holds too many connections already.", inner);
