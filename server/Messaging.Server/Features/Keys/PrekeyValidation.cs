using Messaging.Contracts;
using DeviceIdentity = Messaging.Protocol.Keys.DeviceIdentity;
using PrekeySignature = Messaging.Protocol.Keys.PrekeySignature;
using Sizes = Messaging.Protocol.Primitives.Sizes;

namespace Messaging.Server.Features.Keys;

/// <summary>
/// Checks an upload against the device's registered identity with the protocol library's own checks
/// (<see cref="PrekeySignature"/>): sizes, reserved ids, repeated ids and every signature. One bad item refuses all.
/// </summary>
internal static class PrekeyValidation
{
    /// <summary>Most one-time prekeys of each kind in one upload.</summary>
    public const int MaxOneTimePerUpload = 100;

    /// <summary>
    /// Largest upload body: a full upload (100 of each kind, base64 in JSON) is about 180 KiB, so the body is refused
    /// (413) before it is read into memory well before the default 30 MB of the server.
    /// </summary>
    public const long MaxUploadBytes = 512 * 1024;

    /// <summary>Most one-time prekeys of each kind stored for one device.</summary>
    public const int MaxStoredPerKind = 1000;

    /// <summary>The verified upload, or the error (a code of <see cref="ErrorCodes"/> and a detail naming the kind).</summary>
    public static (PrekeyUpload? Upload, KeyError? Error) Check(
        DeviceIdentity identity, Guid deviceId, UploadPrekeysRequest request, DateTimeOffset now)
    {
        var oneTime = request.OneTimePrekeys ?? [];
        var kemOneTime = request.KemOneTimePrekeys ?? [];
        if (oneTime.Count > MaxOneTimePerUpload || kemOneTime.Count > MaxOneTimePerUpload)
        {
            return (null, new KeyError(ErrorCodes.PayloadTooLarge, $"At most {MaxOneTimePerUpload} one-time prekeys of each kind per upload."));
        }

        if (request.SignedPrekey is null && request.KemLastResortPrekey is null && oneTime.Count == 0 && kemOneTime.Count == 0)
        {
            return (null, Invalid("The upload holds no prekey."));
        }

        if (request.SignedPrekey is { } spk && !Signed(spk, Sizes.X25519Key, identity, PrekeySignature.VerifySignedPrekey))
        {
            return (null, Invalid("The signed prekey is malformed or its signature does not verify."));
        }

        if (request.KemLastResortPrekey is { } pqspk && !Signed(pqspk, Sizes.KemPublicKey, identity, PrekeySignature.VerifyKemPrekey))
        {
            return (null, Invalid("The last-resort KEM prekey is malformed or its signature does not verify."));
        }

        if (oneTime.Any(k => k is null || !ValidId(k.Id) || k.PublicKey?.Length != Sizes.X25519Key))
        {
            return (null, Invalid($"Every X25519 one-time prekey needs an id below {PrekeySignature.NoPrekey} and a {Sizes.X25519Key}-byte public key."));
        }

        if (kemOneTime.Any(k => k is null || !Signed(k, Sizes.KemPublicKey, identity, PrekeySignature.VerifyKemPrekey)))
        {
            return (null, Invalid("A KEM one-time prekey is malformed or its signature does not verify."));
        }

        if (oneTime.DistinctBy(k => k.Id).Count() != oneTime.Count || kemOneTime.DistinctBy(k => k.Id).Count() != kemOneTime.Count)
        {
            return (null, Invalid("A one-time prekey id appears twice in the upload."));
        }

        if (request.KemLastResortPrekey is { } lastResort && kemOneTime.Any(k => k.Id == lastResort.Id))
        {
            return (null, Invalid("A KEM one-time prekey has the last-resort KEM prekey's id (ML-KEM prekeys share one id space)."));
        }

        return (new PrekeyUpload(
            deviceId,
            Stored(request.SignedPrekey),
            Stored(request.KemLastResortPrekey),
            [.. oneTime.Select(k => new StoredPrekey(k.Id, k.PublicKey, null))],
            [.. kemOneTime.Select(k => new StoredPrekey(k.Id, k.PublicKey, k.Signature))],
            now), null);
    }

    private delegate bool Verifier(DeviceIdentity identity, uint id, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> signature);

    private static bool ValidId(uint id) => id != PrekeySignature.NoPrekey;

    private static bool Signed(SignedPrekeyInfo key, int publicKeyBytes, DeviceIdentity identity, Verifier verify) =>
        ValidId(key.Id)
        && key.PublicKey?.Length == publicKeyBytes
        && key.Signature?.Length == Sizes.Ed25519Signature
        && verify(identity, key.Id, key.PublicKey, key.Signature);

    private static StoredPrekey? Stored(SignedPrekeyInfo? key) => key is null ? null : new StoredPrekey(key.Id, key.PublicKey, key.Signature);

    private static KeyError Invalid(string detail) => new(ErrorCodes.InvalidRequest, detail);
}

/// <summary>A refusal of the key directory: a stable code of <see cref="ErrorCodes"/> and a detail without key material.</summary>
internal sealed record KeyError(string Code, string Detail);
