using Messaging.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Messaging.Bench.Relay;

/// <summary>
/// The baseline: a bare SignalR relay with no storage, no authentication and no checks. One hub forwards each copy
/// of a <see cref="SendRequest"/> to its device's group, as the real hub's push does, and answers at once. It runs
/// as its own process (<c>Messaging.Bench relay --urls …</c>) with the same SignalR settings as the server.
/// </summary>
internal static class RelayHost
{
    public const string HubPath = "/hubs/relay";
    public const string HealthPath = "/health";

    public static async Task<int> RunAsync(string urls, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(urls);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSignalR(options =>
            {
                options.MaximumParallelInvocationsPerClient = 1;
                options.MaximumReceiveMessageSize = 2 * 1024 * 1024;
                options.EnableDetailedErrors = false;
            })
            .AddMessagePackProtocol();

        await using var app = builder.Build();
        app.UseWebSockets(new Microsoft.AspNetCore.Builder.WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(15) });
        app.MapGet(HealthPath, () => "ok");
        app.MapHub<RelayHub>(HubPath, options => options.Transports = HttpTransportType.WebSockets);
        await app.StartAsync(cancellationToken);
        await app.WaitForShutdownAsync(cancellationToken);
        return 0;
    }

    public static string DeviceGroup(Guid deviceId) => $"device:{deviceId:N}";
}

/// <summary>The relay's one hub: a device joins its group (named in the query string) and sends to other groups.</summary>
internal sealed class RelayHub : Hub
{
    private static long sequence;

    public override async Task OnConnectedAsync()
    {
        if (!Guid.TryParse(Context.GetHttpContext()?.Request.Query["device"], out var deviceId))
        {
            Context.Abort();
            return;
        }

        await Groups.AddToGroupAsync(Context.ConnectionId, RelayHost.DeviceGroup(deviceId));
        await base.OnConnectedAsync();
    }

    [HubMethodName(HubMethods.Send)]
    public async Task<SendResult> SendAsync(SendRequest request)
    {
        var number = Interlocked.Increment(ref sequence);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var copy in request.Copies)
        {
            await Clients.Group(RelayHost.DeviceGroup(copy.DeviceId)).SendAsync(HubMethods.Receive, new Delivery
            {
                ConversationId = request.ConversationId,
                MessageId = request.MessageId,
                Sequence = number,
                SentAtUnixMs = now,
                Ciphertext = copy.Ciphertext,
            });
        }

        return new SendResult
        {
            Ack = new SendAck { ConversationId = request.ConversationId, MessageId = request.MessageId, Sequence = number, AcceptedAtUnixMs = now },
        };
    }
}
