namespace Messaging.Protocol;

/// <summary>The one place that builds the protocol's exception messages. They never contain key material.</summary>
internal static class Errors
{
    public static string NativeLibraryUnusable(string why) => $"The native libsodium cannot be used: {why}.";

    public static string WrongLength(string what, int expected, int actual) => $"{what} must be {expected} bytes, not {actual}.";

    public static string NonContributory() => "The Diffie-Hellman result is all zero (a low-order or invalid public key).";

    public static string Disposed(string what) => $"The {what} was disposed; its secret is wiped.";

    public static string BadSignature(string what) => $"The signature of the {what} does not verify.";

    public static string Malformed(string what) => $"The {what} is malformed.";

    public static string Unsupported(string what, int value) => $"Unsupported {what}: {value}.";

    public static string PrivateKeyExport() => "Exporting a private key is off for this key; create it with export allowed.";

    public static string EmptyPassphrase() => "The passphrase is empty.";

    public static string ReservedPrekeyId() => "Prekey id 0xFFFFFFFF is reserved (\"none\").";

    public static string PrekeyKind(string expected) => $"The prekey must be a {expected} ML-KEM prekey.";

    public static string NoSession() => "There is no session with this device; start one from its prekey bundle.";

    public static string CannotSendYet() => "This session cannot send before it has received a message.";

    public static string ChainExhausted() => "The sending chain is exhausted; start a new session.";

    public static string UnknownKind(int value) => Unsupported("plaintext kind", value);

    public static string UnsupportedStateVersion(int value) => Unsupported("state version", value);
}
