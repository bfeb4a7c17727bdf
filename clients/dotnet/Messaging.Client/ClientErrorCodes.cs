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
}
