using Messaging.Contracts;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Client;

/// <summary>Builds the SignalR connection: WebSockets only, no negotiation round trip, the chosen protocol.</summary>
internal static class HubConnectionFactory
{
    public static HubConnection Create(MessagingClientOptions options, Func<Task<string?>> accessTokenProvider, IRetryPolicy retryPolicy)
    {
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(options.ServerUri, Routes.Hub), HttpTransportType.WebSockets, http =>
            {
                http.SkipNegotiation = true;

                // Called for every (re)connection, and sent in the WebSocket request's Authorization header (a browser
                // cannot set it, and uses the access_token query string). A test's own factory takes it from here.
                http.AccessTokenProvider = accessTokenProvider;
                http.WebSocketFactory = options.WebSocketFactory ?? HubWebSocket.Factory(accessTokenProvider);
            })
            .WithAutomaticReconnect(retryPolicy);

        if (options.Protocol == MessagingProtocol.MessagePack)
        {
            builder.AddMessagePackProtocol();
        }

        if (options.LoggerFactory is { } loggerFactory)
        {
            builder.Services.AddSingleton(loggerFactory);
        }

        return builder.Build();
    }
}
