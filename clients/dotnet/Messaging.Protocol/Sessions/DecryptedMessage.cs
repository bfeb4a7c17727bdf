namespace Messaging.Protocol.Sessions;

/// <summary>A message that authenticated and decrypted.</summary>
public sealed class DecryptedMessage
{
    private readonly byte[] body;

    internal DecryptedMessage(PlaintextKind kind, byte[] body)
    {
        Kind = kind;
        this.body = body;
    }

    public PlaintextKind Kind { get; }

    public ReadOnlyMemory<byte> Body => body;

    /// <summary>The message id a receipt or a "could not decrypt" notice refers to (RFC 9562 byte order); null for content.</summary>
    public Guid? MessageId => Kind == PlaintextKind.Content ? null : new Guid(body, bigEndian: true);

    /// <summary>True when this prekey message started a new session, which is now the one used to send (§5.4).</summary>
    public bool StartedSession { get; internal set; }

    /// <summary>The body of a receipt or notice for <paramref name="messageId"/>: its 16 bytes in RFC 9562 order.</summary>
    public static byte[] MessageIdBody(Guid messageId) => messageId.ToByteArray(bigEndian: true);
}
