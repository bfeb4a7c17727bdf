namespace Messaging.Protocol.Primitives;

/// <summary>Sizes in bytes (docs/protocol.md §1), checked against the native library at first use.</summary>
public static class Sizes
{
    public const int Ed25519PublicKey = 32;
    public const int Ed25519SecretKey = 64;
    public const int Ed25519Signature = 64;
    public const int Seed = 32;
    public const int X25519Key = 32;
    public const int KemPublicKey = 1184;
    public const int KemSecretKey = 2400;
    public const int KemCiphertext = 1088;
    public const int KemSharedSecret = 32;
    public const int KemSeed = 64;
    public const int AeadKey = 32;
    public const int AeadNonce = 24;
    public const int AeadTag = 16;
    public const int Hmac = 32;
    public const int Sha512 = 64;
}
