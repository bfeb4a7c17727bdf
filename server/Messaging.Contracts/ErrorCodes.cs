namespace Messaging.Contracts;

/// <summary>
/// Stable error codes, used as the problem-details <c>type</c> suffix over HTTP and as <see cref="HubError.Code"/>
/// on the hub. Clients switch on these; never rename one.
/// </summary>
public static class ErrorCodes
{
    public const string InvalidRequest = "invalid-request";
    public const string PayloadTooLarge = "payload-too-large";
    public const string Unauthenticated = "unauthenticated";
    public const string Forbidden = "forbidden";
    public const string NotFound = "not-found";
    public const string Conflict = "conflict";
    public const string InvalidCredentials = "invalid-credentials";
    public const string DeviceRequired = "device-required";
    public const string DeviceRevoked = "device-revoked";
    public const string NotAMember = "not-a-member";
    public const string DevicesChanged = "devices-changed";
    public const string MessageIdConflict = "message-id-conflict";
    public const string RateLimited = "rate-limited";
    public const string Internal = "internal-error";

    /// <summary>Problem-details <c>type</c> URI for a code.</summary>
    public static string TypeUri(string code) => $"urn:messaging:error:{code}";
}
