namespace Messaging.Protocol.Storage;

/// <summary>How a state file's key is obtained: the <c>kdf</c> byte of its header (docs/protocol.md §8).</summary>
public enum StateFileKdf : byte
{
    /// <summary>The application gives the 32-byte key; the salt is zero.</summary>
    ApplicationKey = 0x00,

    /// <summary>Argon2id (opslimit 3, memlimit 64 MiB) of a passphrase with the header's random salt.</summary>
    Argon2id = 0x01,
}
