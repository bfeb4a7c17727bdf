using System.Security.Claims;

namespace Messaging.Server.Features.Accounts;

/// <summary>Who is calling, read from a validated access token.</summary>
internal sealed record Caller(Guid AccountId, string Role, Guid? DeviceId)
{
    public const string DeviceClaim = "dev";
    public const string RoleClaim = "role";
    public const string SubjectClaim = "sub";

    public static Caller? TryFrom(ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(SubjectClaim), out var account) && user.FindFirstValue(RoleClaim) is { } role
            ? new Caller(account, role, Guid.TryParse(user.FindFirstValue(DeviceClaim), out var device) ? device : null)
            : null;

    /// <summary>For endpoints behind an authorization policy, where a missing caller is a programming error.</summary>
    public static Caller From(ClaimsPrincipal user) =>
        TryFrom(user) ?? throw new InvalidOperationException("The endpoint was reached without an authenticated caller.");
}
