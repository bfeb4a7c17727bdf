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
}
