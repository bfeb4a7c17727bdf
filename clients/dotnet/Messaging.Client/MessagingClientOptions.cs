using System.Net.WebSockets;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.Extensions.Logging;

namespace Messaging.Client;

/// <summary>
/// Settings of a <see cref="MessagingClient"/>. A class rather than a record so that no generated
/// <c>ToString</c> ever prints a secret.
/// </summary>
public sealed class MessagingClientOptions
{
    /// <summary>The server's base URL, e.g. <c>https://messaging.example.org/</c>.</summary>
    public required Uri ServerUri { get; init; }

    /// <summary>How the device signs in, proves itself and renews its session.</summary>
    public required DeviceSessionOptions Session { get; init; }

    /// <summary>The registered device this client speaks for; the hub requires a token bound to it.</summary>
    public required Guid DeviceId { get; init; }

    public MessagingProtocol Protocol { get; init; } = MessagingProtocol.Json;

    /// <summary>Logs of the client and of the SignalR connection; nothing is logged when absent.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>For tests: the handler behind the HTTP calls (the client does not dispose it).</summary>
    public HttpMessageHandler? HttpMessageHandler { get; init; }

    /// <summary>For tests: opens the hub's WebSocket (e.g. an in-memory test server's WebSocket client).</summary>
    public Func<WebSocketConnectionContext, CancellationToken, ValueTask<WebSocket>>? WebSocketFactory { get; init; }

    /// <summary>Delays between connection attempts, for the first connection and every reconnection.</summary>
    public ReconnectBackoff ReconnectBackoff { get; init; } = ReconnectBackoff.Default;

    /// <summary>
    /// How long a hub call (send, acknowledge) may wait for the connection to come back before it fails with
    /// <see cref="ClientErrorCodes.Unavailable"/>.
    /// </summary>
    public TimeSpan HubCallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How many times a hub call is attempted when the connection drops under it.</summary>
    public int HubCallMaxAttempts { get; init; } = 5;

    /// <summary>How many recent (conversation, message) ids are remembered to drop a delivery seen twice.</summary>
    public int RecentDeliveryCapacity { get; init; } = 4096;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(ServerUri);
        if (!ServerUri.IsAbsoluteUri)
        {
            throw new ArgumentException("The server URI must be absolute.", nameof(ServerUri));
        }

        ArgumentNullException.ThrowIfNull(Session);
        ArgumentNullException.ThrowIfNull(Session.SignChallenge);
        ArgumentNullException.ThrowIfNull(Session.SignIn);
        if (DeviceId == Guid.Empty)
        {
            throw new ArgumentException("A device id is required.", nameof(DeviceId));
        }

        ArgumentNullException.ThrowIfNull(ReconnectBackoff);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HubCallTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(HubCallMaxAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(RecentDeliveryCapacity, 1);
    }
}
