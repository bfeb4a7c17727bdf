using System.Text.Json;
using Messaging.Protocol.Storage;

namespace Messaging.Client.Secure;

/// <summary>One message as the device keeps it: plaintext, stored only in the sealed local history.</summary>
public sealed record HistoryEntry(
    Guid ConversationId,
    Guid MessageId,
    Guid SenderAccountId,
    Guid SenderDeviceId,
    long Sequence,
    long SentAtUnixMs,
    string Text,
    bool Outgoing);

/// <summary>A delivery this device has decrypted, by the ids the server gives every copy of it.</summary>
internal sealed record ProcessedDelivery(Guid ConversationId, Guid MessageId);

/// <summary>
/// What the SDK keeps beside the protocol state: the account and device, the next prekey ids, the message
/// history and the last deliveries decrypted. Sealed as a whole with the device's storage key (docs/protocol.md §8), and
/// saved in one file with the protocol state (<see cref="DeviceStateFile"/>).
/// </summary>
internal sealed class ClientState
{
    /// <summary>How many decrypted deliveries the state remembers (only the last few can still be unacknowledged).</summary>
    public const int ProcessedKept = 256;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Guid AccountId { get; set; }

    public Guid DeviceId { get; set; }

    /// <summary>The device session's current refresh token (single use; replaced at each refresh).</summary>
    public string? RefreshToken { get; set; }

    /// <summary>Next id for X25519 one-time prekeys.</summary>
    public uint NextOneTimePrekeyId { get; set; } = 1;

    /// <summary>Next id for ML-KEM prekeys (one-time and last-resort share one id space).</summary>
    public uint NextKemPrekeyId { get; set; } = 1;

    public List<HistoryEntry> History { get; set; } = [];

    /// <summary>
    /// The last deliveries decrypted, oldest first, at most <see cref="ProcessedKept"/>: one saved but not yet
    /// acknowledged when the device stopped comes again, and must not be taken for a broken session.
    /// </summary>
    public List<ProcessedDelivery> Processed { get; set; } = [];

    public byte[] Seal(StorageKey key)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(this, Json);
        try
        {
            return EncryptedStateFile.Seal(json, key);
        }
        finally
        {
            Array.Clear(json);
        }
    }

    public static ClientState? TryOpen(byte[] sealedBytes, StorageKey key)
    {
        if (!EncryptedStateFile.TryOpen(sealedBytes, key, out var json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<ClientState>(json, Json);
        }
        finally
        {
            Array.Clear(json);
        }
    }
}
