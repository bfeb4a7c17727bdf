using System.Security.Claims;
using Messaging.Contracts;

namespace Messaging.Server.Features.Accounts;

/// <summary>
/// Who is calling, read from a validated access token: the account, its kind (operator, staff, patient), the device
/// the token is bound to, the second factor the session completed, and the device session (refresh family) it
/// belongs to. Practice roles are not in the token: they are read from the store on every decision, so that removing
/// someone from a practice takes effect at once.
/// </summary>
internal sealed record Caller(Guid AccountId, string Kind, Guid? DeviceId)
{
    public const string DeviceClaim = "dev";
    public const string RoleClaim = "role";
    public const string SubjectClaim = "sub";
    public const string SecondFactorClaim = "fa2";
    public const string SessionClaim = "sid";

    /// <summary>The second factor this session completed (<see cref="SecondFactors"/>), if any.</summary>
    public string? SecondFactor { get; init; }

    /// <summary>The device session (refresh family) of a device-bound token.</summary>
    public Guid? SessionId { get; init; }

    public bool IsStaff => Kind == Roles.Staff;

    public bool IsPatient => Kind == Roles.Patient;

    public bool IsOperator => Kind == Roles.Operator;

    /// <summary>
    /// Whether the session may reach anything beyond its own account set-up. Staff and operators need a strong second
    /// factor (TOTP, passkey, recovery code); patients sign in with a password, and a new device of theirs needs the
    /// email code (checked at device registration). Device-bound tokens are only issued to verified sessions.
    /// </summary>
    public bool IsVerified => DeviceId is not null || IsPatient || SecondFactor is SecondFactors.Totp or SecondFactors.Passkey or SecondFactors.RecoveryCode;

    public static Caller? TryFrom(ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(SubjectClaim), out var account) && user.FindFirstValue(RoleClaim) is { } kind
            ? new Caller(account, kind, Guid.TryParse(user.FindFirstValue(DeviceClaim), out var device) ? device : null)
            {
                SecondFactor = user.FindFirstValue(SecondFactorClaim),
                SessionId = Guid.TryParse(user.FindFirstValue(SessionClaim), out var session) ? session : null,
            }
            : null;

    /// <summary>For endpoints behind an authorization policy, where a missing caller is a programming error.</summary>
    public static Caller From(ClaimsPrincipal user) =>
        TryFrom(user) ?? throw new InvalidOperationException("The endpoint was reached without an authenticated caller.");
}
