namespace Messaging.Client;

/// <summary>The SignalR hub protocol spoken on the WebSocket.</summary>
public enum MessagingProtocol
{
    /// <summary>JSON text frames (camelCase; byte arrays as base64).</summary>
    Json,

    /// <summary>MessagePack binary frames (contractless resolver, as the server uses).</summary>
    MessagePack,
}
