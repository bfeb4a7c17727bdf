namespace Messaging.Protocol.Sessions;

/// <summary>The first byte of a padded plaintext (docs/protocol.md §5.3).</summary>
public enum PlaintextKind : byte
{
    /// <summary>Application content (UTF-8 JSON for the apps).</summary>
    Content = 0x01,

    /// <summary>"Decrypted": the receipt a device sends after storing a message; the body is the 16-byte message id.</summary>
    Decrypted = 0x02,

    /// <summary>"Could not decrypt": the receiver lost the session (§5.4); the body is the 16-byte message id.</summary>
    CouldNotDecrypt = 0x03,
}
