namespace Messaging.Protocol.Sessions;

/// <summary>Why a message was not decrypted. In every case no state changed.</summary>
public enum DecryptFailure
{
    None = 0,

    /// <summary>Not an envelope of this version: bad version, type, length, identity or padding.</summary>
    Malformed,

    /// <summary>A normal message from a device without a session: start a new one and send a notice (§5.4).</summary>
    NoSession,

    /// <summary>A prekey message whose identity differs from the one pinned for the device: tell the user (§6).</summary>
    UntrustedIdentity,

    /// <summary>A prekey message naming a prekey this device no longer has (used or rotated away).</summary>
    MissingPrekey,

    /// <summary>A non-contributory X25519 result: a low-order or invalid public key.</summary>
    InvalidKey,

    /// <summary>More than MAX_SKIP (1000) message keys would have to be skipped.</summary>
    TooManySkipped,

    /// <summary>The message does not authenticate, or its message key was used already (a replay or duplicate).</summary>
    NotAuthentic,
}

/// <summary>Why a session could not be started from a prekey bundle.</summary>
public enum SessionFailure
{
    None = 0,

    /// <summary>The bundle's identity or a prekey signature does not verify, or a key has the wrong size.</summary>
    InvalidBundle,

    /// <summary>The bundle's identity differs from the one pinned for the device: tell the user (§6).</summary>
    UntrustedIdentity,

    /// <summary>A non-contributory X25519 result: a low-order or invalid prekey.</summary>
    InvalidKey,
}
