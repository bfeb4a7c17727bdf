namespace Messaging.Contracts;

/// <summary>The operator creates a practice; the answer carries the invitation for its first admin.</summary>
public sealed record CreatePracticeRequest(string Name, string? AdminEmail, string? Language);

public sealed record PracticeCreated(Guid PracticeId, InvitationCreated AdminInvitation);

/// <summary>
/// An invitation into a practice with a role. Admins invite staff; secretaries and doctors invite patients. The
/// email, name and phone are stored encrypted; with an email the invitation link is also sent there.
/// </summary>
public sealed record CreateInvitationRequest(string Role, string? Email, string? Name, string? Phone, string? Language);

/// <summary>The single-use token (shown once; the server keeps only its hash) and when it expires.</summary>
public sealed record InvitationCreated(Guid InvitationId, string Token, long ExpiresAtUnixMs);

/// <summary>
/// Accepting an invitation. Without a bearer token it creates an account with <see cref="Login"/> and
/// <see cref="Password"/>; with one it adds the practice to the signed-in account. A patient must accept the terms:
/// <see cref="AcceptedTermsVersion"/> is the version they were shown (see the consent route for the current one).
/// </summary>
public sealed record AcceptInvitationRequest(string Token, string? Login, string? Password, string? AcceptedTermsVersion);

public sealed record InvitationAccepted(Guid AccountId, Guid PracticeId, string Role);

/// <summary>A person of a practice as its staff see them. Names are shown only to the practice's staff.</summary>
public sealed record PracticeMember(Guid AccountId, string Role, string? Name);

/// <summary>A patient's consent to receive messages: the terms version and when it was given or withdrawn.</summary>
public sealed record ConsentInfo(string CurrentTermsVersion, string? AcceptedTermsVersion, long? GivenAtUnixMs, long? WithdrawnAtUnixMs);

public sealed record GiveConsentRequest(string TermsVersion);

/// <summary>The terms patients accept (public: shown before an invitation is accepted).</summary>
public sealed record TermsInfo(string Version);

/// <summary>
/// TOTP enrolment: the shared secret (base32) and an otpauth:// URI for authenticator apps (shown once), and an opaque
/// <see cref="State"/> to send back with the first code. Nothing is stored until that code confirms it, so an
/// abandoned enrolment never replaces the current second factor.
/// </summary>
public sealed record TotpEnrolment(string Secret, string OtpAuthUri, string State);

public sealed record ConfirmTotpRequest(string Code, string State);

/// <summary>Single-use recovery codes, shown once; the server keeps only their hashes.</summary>
public sealed record RecoveryCodes(IReadOnlyList<string> Codes);

/// <summary>The answer to a completed enrolment: recovery codes and a token whose session has its second factor.</summary>
public sealed record SecondFactorEnrolled(IReadOnlyList<string> RecoveryCodes, TokenResponse Token);

public sealed record PasswordResetRequest(string Login);

public sealed record CompletePasswordResetRequest(string Token, string NewPassword);

/// <summary>A patient notification given up after its last attempt (no address or content: the patient's id only).</summary>
public sealed record DeadNotification(Guid NotificationId, Guid PatientAccountId, int Attempts, string? LastError, long? GivenUpAtUnixMs);
