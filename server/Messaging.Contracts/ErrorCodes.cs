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

    /// <summary>The session has no second factor yet: complete it (or, for staff without one, enrol one).</summary>
    public const string SecondFactorRequired = "second-factor-required";

    /// <summary>A patient's new device needs the one-time code sent by email.</summary>
    public const string NewDeviceCodeRequired = "new-device-code-required";

    /// <summary>A second-factor, email or recovery code was wrong, used or expired.</summary>
    public const string InvalidCode = "invalid-code";

    /// <summary>Too many failed sign-ins: the account is locked for a while (Retry-After says how long).</summary>
    public const string AccountLocked = "account-locked";

    /// <summary>The patient has not given (or has withdrawn) consent: nothing is delivered to them.</summary>
    public const string ConsentRequired = "consent-required";

    /// <summary>The invitation token is unknown, used or expired.</summary>
    public const string InvitationInvalid = "invitation-invalid";

    /// <summary>The challenge is malformed, expired, or the device's signature over it does not verify.</summary>
    public const string InvalidProof = "invalid-proof";

    /// <summary>The refresh token is unknown, used (the session was then ended), or the session expired: sign in again.</summary>
    public const string SessionEnded = "session-ended";
    public const string Internal = "internal-error";

    /// <summary>Problem-details <c>type</c> URI for a code.</summary>
    public static string TypeUri(string code) => $"urn:messaging:error:{code}";
}
