namespace Messaging.Contracts;

/// <summary>
/// Account kinds (the <c>role</c> claim of a token) and roles held in a practice. The string values are stored;
/// never renumber or rename one.
/// </summary>
public static class Roles
{
    /// <summary>Account kind: the platform operator creates practices and their first admin, and nothing more.</summary>
    public const string Operator = "operator";

    /// <summary>Account kind: people who work for practices (admins, secretaries, doctors).</summary>
    public const string Staff = "staff";

    /// <summary>Account kind and practice role: a patient of one or more practices.</summary>
    public const string Patient = "patient";

    /// <summary>Practice role: manages people and devices of the practice; reads nothing, takes part in nothing.</summary>
    public const string Admin = "admin";

    /// <summary>Practice role: takes calls for the practice; reaches its doctors and patients.</summary>
    public const string Secretary = "secretary";

    /// <summary>Practice role: reaches the practice's staff and patients.</summary>
    public const string Doctor = "doctor";

    public static bool IsPracticeRole(string? role) => role is Admin or Secretary or Doctor or Patient;

    public static bool IsStaffRole(string? role) => role is Admin or Secretary or Doctor;
}

/// <summary>Second-factor methods, as named in tokens, requests and answers.</summary>
public static class SecondFactors
{
    public const string Totp = "totp";
    public const string Passkey = "passkey";
    public const string RecoveryCode = "recovery";

    /// <summary>A one-time code sent by email: the patients' check when a new device signs in.</summary>
    public const string EmailCode = "email";
}

public sealed record AccountInfo(Guid AccountId, string Kind, string? SecondFactor, IReadOnlyList<MembershipInfo> Memberships);

public sealed record MembershipInfo(Guid PracticeId, string Role);

public sealed record LoginRequest(string Login, string Password);

/// <summary>
/// The answer to a password sign-in. <see cref="SecondFactor"/> says what must happen next: <c>satisfied</c> (the
/// token is complete), <c>required</c> (call the second-factor route with one of <see cref="Methods"/>),
/// <c>enrolment-required</c> (staff without a second factor: enrol one; nothing else is open meanwhile), or
/// <c>new-device-code</c> (patients: a new device needs the code sent by email).
/// <see cref="FailedAttemptsSinceLastSignIn"/> tells the person about attempts they may not have made;
/// <see cref="Notices"/> holds <see cref="SignInNotices"/> values the client should act on.
/// </summary>
public sealed record SignInResponse(
    string AccessToken,
    long ExpiresAtUnixMs,
    Guid AccountId,
    string SecondFactor,
    IReadOnlyList<string> Methods,
    int FailedAttemptsSinceLastSignIn,
    long? LastFailedAttemptAtUnixMs,
    IReadOnlyList<string>? Notices = null);

/// <summary>Values of <see cref="SignInResponse.Notices"/>.</summary>
public static class SignInNotices
{
    /// <summary>Admins and operators are asked to enrol a passkey (phishing-resistant) until they have one.</summary>
    public const string EnrolPasskey = "enrol-passkey";
}

/// <summary>Values of <see cref="SignInResponse.SecondFactor"/>.</summary>
public static class SignInStates
{
    public const string Satisfied = "satisfied";
    public const string Required = "required";
    public const string EnrolmentRequired = "enrolment-required";
    public const string NewDeviceCode = "new-device-code";
}

/// <summary>A second factor for the session the bearer token belongs to: <see cref="Code"/> for TOTP, recovery and email codes.</summary>
public sealed record SecondFactorRequest(string Method, string? Code);

/// <summary>A short-lived access token; <see cref="DeviceId"/> is set when the token is bound to a device.</summary>
public sealed record TokenResponse(string AccessToken, long ExpiresAtUnixMs, Guid AccountId, Guid? DeviceId);

/// <summary>A fresh challenge to sign with the device's identity key (Messaging.Protocol's SessionProof).</summary>
public sealed record SessionChallenge(byte[] Challenge, long ExpiresAtUnixMs);

/// <summary>Opens a session for one of the caller's devices: the device signs a fresh challenge.</summary>
public sealed record DeviceSessionRequest(Guid DeviceId, byte[] Challenge, byte[] Signature);

/// <summary>Exchanges a refresh token (single use) for new tokens; the device signs a fresh challenge.</summary>
public sealed record RefreshRequest(Guid DeviceId, string RefreshToken, byte[] Challenge, byte[] Signature);

/// <summary>
/// A device session: a short-lived access token bound to the device and a refresh token. A refresh token works once;
/// presenting a used one again ends the whole session (someone copied it).
/// </summary>
public sealed record DeviceSessionResponse(
    string AccessToken, long ExpiresAtUnixMs, Guid AccountId, Guid DeviceId, string RefreshToken, long SessionExpiresAtUnixMs);

/// <summary>
/// A device's public identity (base64 in JSON): the 129-byte v1 identity of docs/protocol.md §2, whose signature the
/// server verifies at registration.
/// </summary>
public sealed record RegisterDeviceRequest(byte[] Identity);

public sealed record DeviceInfo(Guid DeviceId, Guid AccountId, byte[] Identity, long CreatedAtUnixMs);

/// <summary>Starts a conversation in a practice with other people of that practice.</summary>
public sealed record CreateConversationRequest(Guid PracticeId, IReadOnlyList<Guid> MemberAccountIds);

public sealed record ConversationInfo(Guid ConversationId, Guid PracticeId, IReadOnlyList<Guid> MemberAccountIds, long CreatedAtUnixMs);

/// <summary>Every current device of every member: the recipients a <see cref="SendRequest"/> must cover.</summary>
public sealed record ConversationDevices(Guid ConversationId, IReadOnlyList<DeviceInfo> Devices);
