namespace Messaging.Contracts;

// The key directory (docs/protocol.md §2, §3). Only public parts travel here: public keys, their ids and the
// signatures made by the device's identity signing key. Bytes are base64 in JSON; ids are the device's u32 ids.

/// <summary>An X25519 signed prekey, or an ML-KEM-768 prekey (last-resort or one-time): signed by the identity.</summary>
public sealed record SignedPrekeyInfo(uint Id, byte[] PublicKey, byte[] Signature);

/// <summary>An X25519 one-time prekey (unsigned).</summary>
public sealed record OneTimePrekeyInfo(uint Id, byte[] PublicKey);

/// <summary>The ML-KEM-768 prekey of a bundle: a one-time one, or the last-resort one when none is left.</summary>
public sealed record PqPrekeyInfo(uint Id, byte[] PublicKey, byte[] Signature, bool LastResort);

/// <summary>
/// What a device publishes. The signed prekey and the last-resort KEM prekey replace the current ones when given;
/// one-time prekeys are added. Every signature is checked against the device's registered identity, and one bad item
/// rejects the whole upload.
/// </summary>
public sealed record UploadPrekeysRequest(
    SignedPrekeyInfo? SignedPrekey,
    SignedPrekeyInfo? KemLastResortPrekey,
    IReadOnlyList<OneTimePrekeyInfo>? OneTimePrekeys,
    IReadOnlyList<SignedPrekeyInfo>? KemOneTimePrekeys);

/// <summary>One device's prekey bundle (§3). Fetching it consumed <see cref="OneTimePrekey"/> and a one-time <see cref="PqPrekey"/>.</summary>
public sealed record PrekeyBundleInfo(
    Guid DeviceId,
    byte[] Identity,
    SignedPrekeyInfo SignedPrekey,
    OneTimePrekeyInfo? OneTimePrekey,
    PqPrekeyInfo PqPrekey);

/// <summary>The bundles of every active device of an account that has published keys, the caller's own device excepted.</summary>
public sealed record PrekeyBundles(Guid AccountId, IReadOnlyList<PrekeyBundleInfo> Bundles);

/// <summary>
/// What a device has left in the directory: the answer of the status endpoint, and the payload of
/// <see cref="HubMethods.PrekeysLow"/>. A plain class, as every hub payload, for the MessagePack protocol.
/// </summary>
public sealed class PrekeyStatus
{
    public Guid DeviceId { get; set; }

    /// <summary>X25519 one-time prekeys not yet handed out.</summary>
    public int OneTimePrekeys { get; set; }

    /// <summary>ML-KEM-768 one-time prekeys not yet handed out.</summary>
    public int KemOneTimePrekeys { get; set; }

    public bool HasSignedPrekey { get; set; }

    public bool HasKemLastResortPrekey { get; set; }
}
