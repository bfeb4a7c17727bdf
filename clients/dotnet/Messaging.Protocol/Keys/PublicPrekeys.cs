namespace Messaging.Protocol.Keys;

/// <summary>The public part of a signed prekey: <c>{id, publicKey, signature}</c> (docs/protocol.md §3).</summary>
public sealed record SignedPrekeyPublic(uint Id, byte[] PublicKey, byte[] Signature);

/// <summary>The public part of a one-time prekey: <c>{id, publicKey}</c>.</summary>
public sealed record OneTimePrekeyPublic(uint Id, byte[] PublicKey);

/// <summary>The public part of an ML-KEM-768 prekey: <c>{id, publicKey, signature, lastResort}</c>.</summary>
public sealed record KemPrekeyPublic(uint Id, byte[] PublicKey, byte[] Signature, bool LastResort);

/// <summary>
/// What a device uploads to the key directory: public parts only, never a secret. The names follow the server's
/// upload request (<c>signedPrekey</c>, <c>kemLastResortPrekey</c>, <c>oneTimePrekeys</c>, <c>kemOneTimePrekeys</c>).
/// </summary>
public sealed record PublicPrekeys(
    SignedPrekeyPublic SignedPrekey,
    KemPrekeyPublic KemLastResortPrekey,
    IReadOnlyList<OneTimePrekeyPublic> OneTimePrekeys,
    IReadOnlyList<KemPrekeyPublic> KemOneTimePrekeys)
{
    public static PublicPrekeys Create(
        SignedPrekey signedPrekey, KemPrekey lastResortPrekey, IEnumerable<OneTimePrekey> oneTimePrekeys, IEnumerable<KemPrekey> kemOneTimePrekeys)
    {
        ArgumentNullException.ThrowIfNull(signedPrekey);
        ArgumentNullException.ThrowIfNull(lastResortPrekey);
        ArgumentNullException.ThrowIfNull(oneTimePrekeys);
        ArgumentNullException.ThrowIfNull(kemOneTimePrekeys);
        if (!lastResortPrekey.IsLastResort)
        {
            throw new ArgumentException(Errors.PrekeyKind("last-resort"), nameof(lastResortPrekey));
        }

        var kem = kemOneTimePrekeys.Select(k => k.IsLastResort
            ? throw new ArgumentException(Errors.PrekeyKind("one-time"), nameof(kemOneTimePrekeys))
            : k.ToPublic()).ToArray();
        return new PublicPrekeys(signedPrekey.ToPublic(), lastResortPrekey.ToPublic(), [.. oneTimePrekeys.Select(k => k.ToPublic())], kem);
    }
}
