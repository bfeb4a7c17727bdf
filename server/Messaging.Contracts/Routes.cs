namespace Messaging.Contracts;

/// <summary>HTTP routes and the hub path, shared so that client and server cannot drift apart.</summary>
public static class Routes
{
    public const string Hub = "/hubs/messaging";
    public const string Accounts = "/api/accounts";
    public const string CurrentAccount = "/api/accounts/me";
    public const string Sessions = "/api/sessions";
    public const string DeviceSessions = "/api/sessions/device";
    public const string Devices = "/api/devices";
    public const string Conversations = "/api/conversations";
    public const string HealthLive = "/health/live";
    public const string HealthReady = "/health/ready";

    public static string Device(Guid deviceId) => $"{Devices}/{deviceId}";
    public static string ConversationDevices(Guid conversationId) => $"{Conversations}/{conversationId}/devices";
    public static string DevicePrekeys(Guid deviceId) => $"{Devices}/{deviceId}/prekeys";
    public static string DevicePrekeyStatus(Guid deviceId) => $"{Devices}/{deviceId}/prekeys/status";
    public static string AccountBundles(Guid accountId) => $"{Accounts}/{accountId}/bundles";
}

/// <summary>Names of hub methods, in both directions.</summary>
public static class HubMethods
{
    /// <summary>Client to server: store and fan out one message (<see cref="SendRequest"/> → <see cref="SendResult"/>).</summary>
    public const string Send = "Send";

    /// <summary>Client to server: the device has stored these deliveries; the server deletes its copies.</summary>
    public const string Acknowledge = "Acknowledge";

    /// <summary>Client to server: a stream of the device's queued deliveries, in order; the stream ends when the queue is drained.</summary>
    public const string Drain = "Drain";

    /// <summary>Server to client: one live delivery (<see cref="Delivery"/>).</summary>
    public const string Receive = "Receive";

    /// <summary>
    /// Server to client: a bundle fetch left this device with few one-time prekeys (<see cref="PrekeyStatus"/>);
    /// the device should upload more.
    /// </summary>
    public const string PrekeysLow = "PrekeysLow";
}
