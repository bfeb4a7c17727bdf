namespace Messaging.Server.Features.Keys;

/// <summary>
/// One public prekey as the directory keeps it: the device's id for it, the public key, and for signed kinds the
/// identity's signature. Never a private key: there is no field for one.
/// </summary>
internal sealed record StoredPrekey(uint Id, byte[] PublicKey, byte[]? Signature);

/// <summary>
/// A verified upload. <see cref="SignedPrekey"/> and <see cref="KemLastResortPrekey"/> replace the current ones when
/// set; the one-time prekeys are added, handed out later in upload order.
/// </summary>
internal sealed record PrekeyUpload(
    Guid DeviceId,
    StoredPrekey? SignedPrekey,
    StoredPrekey? KemLastResortPrekey,
    IReadOnlyList<StoredPrekey> OneTimePrekeys,
    IReadOnlyList<StoredPrekey> KemOneTimePrekeys,
    DateTimeOffset UploadedAt);

internal enum PrekeyUploadStatus
{
    /// <summary>Stored (one-time prekeys already stored with the same id and key were skipped: a retry).</summary>
    Stored,

    /// <summary>A one-time prekey id is already stored for the device with another key; nothing was changed.</summary>
    IdConflict,

    /// <summary>The upload would leave more one-time prekeys of a kind than allowed; nothing was changed.</summary>
    TooMany,
}

internal sealed record PrekeyCounts(bool HasSignedPrekey, bool HasKemLastResortPrekey, int OneTimePrekeys, int KemOneTimePrekeys);

/// <summary>
/// What one bundle fetch took for a device: its signed prekey, the oldest X25519 one-time prekey (null when none was
/// left) and the oldest KEM one-time prekey, or the last-resort one (<see cref="LastResort"/>) when none was left.
/// </summary>
internal sealed record ClaimedPrekeys(StoredPrekey SignedPrekey, StoredPrekey? OneTimePrekey, StoredPrekey PqPrekey, bool LastResort);

/// <summary>The kinds of prekey, as stored (the names of docs/protocol.md §2).</summary>
internal static class PrekeyKinds
{
    public const string SignedPrekey = "spk";
    public const string KemLastResort = "pqspk";
    public const string OneTime = "opk";
    public const string KemOneTime = "pqopk";
}
