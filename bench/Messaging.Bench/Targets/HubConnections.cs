using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Bench.Targets;

/// <summary>Hub connections as the SDK makes them: WebSockets only, no negotiation round trip, MessagePack.</summary>
internal static class HubConnections
{
    public static HubConnection Create(Uri hub, string? accessToken) =>
        new HubConnectionBuilder()
            .WithUrl(hub, HttpTransportType.WebSockets, options =>
            {
                options.SkipNegotiation = true;
                if (accessToken is not null)
                {
                    options.AccessTokenProvider = () => Task.FromResult<string?>(accessToken);
                }
            })
            .AddMessagePackProtocol()
            .Build();

    /// <summary>Runs <paramref name="work"/> for every item with bounded parallelism.</summary>
    public static Task ForEachAsync<T>(IEnumerable<T> items, int parallelism, Func<T, CancellationToken, ValueTask> work) =>
        Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, work);
}
