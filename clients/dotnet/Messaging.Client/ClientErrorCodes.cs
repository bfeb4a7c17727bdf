namespace Messaging.Client;

/// <summary>Codes of <see cref="MessagingException"/>s raised by the SDK itself rather than by the server.</summary>
public static class ClientErrorCodes
{
    /// <summary>
    /// The hub could not be reached within the retry budget. A send may or may not have been stored: retry with the
    /// same message id, which the server answers with the same acknowledgement.
    /// </summary>
    public const string Unavailable = "unavailable";

    /// <summary>The server answered with a body the SDK could not read.</summary>
    public const string InvalidResponse = "invalid-response";

    /// <summary>A recipient device has published no prekeys: no session can be started with it.</summary>
    public const string NoPrekeys = "no-prekeys";

    /// <summary>A device's identity differs from the one pinned or the one the directory lists: refused (see safety numbers).</summary>
    public const string UntrustedIdentity = "untrusted-identity";

    /// <summary>The local state could not be opened: wrong key or passphrase, or a damaged file.</summary>
    public const string LocalStateUnreadable = "local-state-unreadable";
}
