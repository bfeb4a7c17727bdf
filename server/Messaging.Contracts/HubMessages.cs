namespace Messaging.Contracts;

// Hub DTOs are plain classes with settable properties so that both the JSON and the MessagePack hub protocols
// (MessagePack-CSharp's contractless resolver) read and write them. Times are Unix milliseconds, which every
// client language reads without a custom formatter.

/// <summary>One message, encrypted once per recipient device.</summary>
public sealed class SendRequest
{
    public Guid ConversationId { get; set; }

    /// <summary>Chosen by the client (a UUIDv7); a retry with the same id is answered with the same acknowledgement.</summary>
    public Guid MessageId { get; set; }

    public List<OutgoingCopy> Copies { get; set; } = [];

    /// <summary>
    /// False (a conversation message): the copies must cover exactly every active device of every member but the
    /// sending device, or the answer is <see cref="ErrorCodes.DevicesChanged"/>. True (a direct message: a receipt, a
    /// "could not decrypt" notice, a resend): the copies go to some of those devices only.
    /// </summary>
    public bool Direct { get; set; }
}

/// <summary>The opaque ciphertext for one recipient device.</summary>
public sealed class OutgoingCopy
{
    public Guid DeviceId { get; set; }
    public byte[] Ciphertext { get; set; } = [];
}

/// <summary>Either <see cref="Ack"/> or <see cref="Error"/> is set.</summary>
public sealed class SendResult
{
    public SendAck? Ack { get; set; }
    public HubError? Error { get; set; }
}

/// <summary>The server stored the whole batch durably.</summary>
public sealed class SendAck
{
    public Guid ConversationId { get; set; }
    public Guid MessageId { get; set; }

    /// <summary>Per-conversation sequence number, starting at 1.</summary>
    public long Sequence { get; set; }

    public long AcceptedAtUnixMs { get; set; }
}

/// <summary>An application error on the hub, with a stable <see cref="ErrorCodes">code</see>.</summary>
public sealed class HubError
{
    public string Code { get; set; } = ErrorCodes.Internal;
    public string Message { get; set; } = "";

    /// <summary>With <see cref="ErrorCodes.DevicesChanged"/>: current devices the batch left out.</summary>
    public List<Guid>? MissingDevices { get; set; }

    /// <summary>With <see cref="ErrorCodes.DevicesChanged"/>: devices in the batch that are not (or no longer) recipients.</summary>
    public List<Guid>? ExtraDevices { get; set; }
}

/// <summary>One copy of a message, for the receiving device.</summary>
public sealed class Delivery
{
    public Guid ConversationId { get; set; }
    public Guid MessageId { get; set; }
    public long Sequence { get; set; }
    public Guid SenderAccountId { get; set; }
    public Guid SenderDeviceId { get; set; }
    public long SentAtUnixMs { get; set; }
    public byte[] Ciphertext { get; set; } = [];
}

public sealed class DeliveryRef
{
    public Guid ConversationId { get; set; }
    public Guid MessageId { get; set; }
}

public sealed class AcknowledgeRequest
{
    public List<DeliveryRef> Deliveries { get; set; } = [];
}

public sealed class AcknowledgeResult
{
    /// <summary>How many copies were deleted (an already deleted copy counts zero: acknowledging twice is harmless).</summary>
    public int Removed { get; set; }

    public HubError? Error { get; set; }
}
