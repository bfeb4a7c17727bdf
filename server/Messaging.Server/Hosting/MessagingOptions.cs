namespace Messaging.Server.Hosting;

/// <summary>Everything an operator can set, under the <c>Messaging</c> configuration section.</summary>
internal sealed class MessagingOptions
{
    public const string Section = "Messaging";

    /// <summary>Holds the embedded SQLite file and the generated key file; relative paths are under the content root.</summary>
    public string DataDirectory { get; set; } = "data";

    public StorageOptions Storage { get; set; } = new();

    public KeyOptions Keys { get; set; } = new();

    public TokenOptions Tokens { get; set; } = new();

    public DeliveryOptions Delivery { get; set; } = new();

    public AuditOptions Audit { get; set; } = new();

    /// <summary>The SignalR backplane of a cluster of server nodes; unset for a single node.</summary>
    public RedisOptions Redis { get; set; } = new();

    /// <summary>Origins (scheme://host[:port]) allowed to open the WebSocket besides the server's own origin.</summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>
    /// The load balancers and proxies in front of the node, as addresses or CIDR networks: only their X-Forwarded-For and
    /// X-Forwarded-Proto are believed (<see cref="TrustedProxies"/>). Empty: the node is reached directly.
    /// </summary>
    public string[] TrustedProxies { get; set; } = [];
}

internal sealed class StorageOptions
{
    /// <summary>When set, MongoDB (a replica set) is the store; otherwise the embedded SQLite file.</summary>
    public string? MongoConnectionString { get; set; }

    public string MongoDatabase { get; set; } = "messaging";
}

internal sealed class RedisOptions
{
    /// <summary>
    /// A StackExchange.Redis configuration string (e.g. <c>redis1:6379,password=…,ssl=true</c>). When set, pushes
    /// travel between server nodes through Redis (see <see cref="ScaleOut"/>); it is never logged.
    /// </summary>
    public string? ConnectionString { get; set; }
}

internal sealed class KeyOptions
{
    /// <summary>Base64 of 32 random bytes. Several server nodes must share it.</summary>
    public string? TokenSigningKey { get; set; }

    /// <summary>Base64 of 32 random bytes, for the keyed hashes that find accounts without storing login names.</summary>
    public string? BlindIndexKey { get; set; }

    /// <summary>
    /// Base64 of 32 random bytes, encrypting names, emails and phone numbers at rest. Several server nodes must share
    /// it; data sealed under it is lost if it changes.
    /// </summary>
    public string? PersonalDataKey { get; set; }
}

internal sealed class TokenOptions
{
    /// <summary>Access tokens are bearer tokens: short-lived, so that a stolen one is soon useless.</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A device session ends when its refresh token has not been used for this long.</summary>
    public TimeSpan SessionInactivityTimeout { get; set; } = TimeSpan.FromDays(14);

    /// <summary>A device session ends this long after sign-in, however active: then the person signs in again.</summary>
    public TimeSpan SessionAbsoluteTimeout { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long a session challenge may be signed and presented.</summary>
    public TimeSpan ChallengeLifetime { get; set; } = TimeSpan.FromMinutes(2);
}

internal sealed class AuditOptions
{
    /// <summary>
    /// How long audit events are kept. They name accounts and devices, so they are personal data and are not kept
    /// without end; a year answers most security questions (the CNIL advises six months to a year for access logs).
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(365);
}

internal sealed class DeliveryOptions
{
    /// <summary>Largest ciphertext for one device.</summary>
    public int MaxCopyBytes { get; set; } = 64 * 1024;

    /// <summary>Largest sum of the ciphertexts of one message.</summary>
    public int MaxBatchBytes { get; set; } = 1024 * 1024;

    public int MaxCopiesPerBatch { get; set; } = 500;

    /// <summary>Deliveries one acknowledgement may name; at least 100, which the SDK sends at once for a backlog.</summary>
    public int MaxAcknowledgementsPerCall { get; set; } = 500;

    /// <summary>How long a copy waits for its device before it is deleted unread.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(5);

    public int DrainPageSize { get; set; } = 200;

    /// <summary>
    /// The largest hub frame accepted. It must exceed the batch limit (JSON carries bytes as base64) so that an
    /// oversized batch gets a clear <c>payload-too-large</c> error instead of a dropped connection.
    /// </summary>
    public long MaxHubMessageBytes => (MaxBatchBytes * 4L / 3) + (MaxCopiesPerBatch * 128L) + (64 * 1024);
}
