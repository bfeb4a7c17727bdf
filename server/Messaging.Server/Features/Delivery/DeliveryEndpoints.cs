using Messaging.Contracts;
using Messaging.Server.Hosting;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Features.Delivery;

internal static class DeliveryEndpoints
{
    public static IServiceCollection AddDelivery(this IServiceCollection services)
    {
        services.AddSingleton<DeliveryService>();
        services.AddSingleton<HubConnectionCap>();
        services.AddSingleton<IRecordSweep, ExpiredCopySweep>();
        services.AddSignalR(options =>
            {
                // Explicit limits: nothing here is left to defaults that might change under us.
                options.MaximumParallelInvocationsPerClient = 1;
                options.ClientTimeoutInterval = TimeSpan.FromSeconds(30);
                options.KeepAliveInterval = TimeSpan.FromSeconds(15);
                options.HandshakeTimeout = TimeSpan.FromSeconds(15);
                options.StreamBufferCapacity = 64;
                options.EnableDetailedErrors = false;
                options.DisableImplicitFromServicesParameters = true;
            })
            .AddJsonProtocol()
            .AddMessagePackProtocol();
        services.AddOptions<Microsoft.AspNetCore.SignalR.HubOptions>()
            .Configure<IOptions<MessagingOptions>>((hub, messaging) => hub.MaximumReceiveMessageSize = messaging.Value.Delivery.MaxHubMessageBytes);
        return services;
    }

    public static IEndpointRouteBuilder MapDeliveryHub(this IEndpointRouteBuilder app)
    {
        app.MapHub<MessagingHub>(Routes.Hub, options =>
        {
            options.Transports = HttpTransportType.WebSockets;
            // A connection ends when its access token expires; the client reconnects with a fresh one.
            options.CloseOnAuthenticationExpiration = true;
        }).Add(HubConnectionCap.Apply);
        return app;
    }
}
