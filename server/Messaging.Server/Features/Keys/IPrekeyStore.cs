namespace Messaging.Server.Features.Keys;

/// <summary>The public prekeys of devices. Every operation on one device is atomic.</summary>
internal interface IPrekeyStore
{
    /// <summary>
    /// Stores an upload whole or not at all. A one-time prekey whose id is already stored for the device and kind
    /// with the same public key is skipped (a retried upload); with another key the upload is refused
    /// (<see cref="PrekeyUploadStatus.IdConflict"/>), and so is a KEM one-time prekey id equal to the last-resort
    /// KEM prekey's, stored or uploaded (ML-KEM prekeys share one id space, docs/protocol.md §2). More than <paramref name="maxOneTimePerKind"/> one-time
    /// prekeys of a kind stored afterwards refuses it too (<see cref="PrekeyUploadStatus.TooMany"/>).
    /// </summary>
    Task<PrekeyUploadStatus> UploadAsync(PrekeyUpload upload, int maxOneTimePerKind, CancellationToken cancellationToken);

    Task<PrekeyCounts> CountAsync(Guid deviceId, CancellationToken cancellationToken);

    /// <summary>
    /// Takes one bundle's prekeys: null, taking nothing, unless the device has a signed prekey and a last-resort KEM
    /// prekey; otherwise deletes and returns the oldest one-time prekey of each kind, in one atomic step, so that no
    /// one-time prekey is ever returned twice, however many fetches run at once.
    /// </summary>
    Task<ClaimedPrekeys?> ClaimAsync(Guid deviceId, CancellationToken cancellationToken);

    /// <summary>Deletes every prekey of the device (it was revoked).</summary>
    Task DeleteDeviceAsync(Guid deviceId, CancellationToken cancellationToken);
}
