using Messaging.Contracts;

namespace Messaging.Server.Features.Practices;

/// <summary>
/// Least privilege, in one place: what each practice role may do to whom, within one practice. Nothing here crosses
/// practices: every rule is asked about a role held in the practice concerned, so a secretary of practice A has no
/// rule at all in practice B. <see cref="PracticeAccess"/> applies these rules to stored memberships;
/// docs/security.md lists them and the authorization-matrix test runs every route and hub method against them.
/// </summary>
internal static class AccessRules
{
    /// <summary>Admins invite staff (admins included); secretaries and doctors invite patients.</summary>
    public static bool MayInvite(string inviterRole, string invitedRole) => (inviterRole, invitedRole) switch
    {
        (Roles.Admin, Roles.Admin or Roles.Secretary or Roles.Doctor) => true,
        (Roles.Secretary or Roles.Doctor, Roles.Patient) => true,
        _ => false,
    };

    /// <summary>Secretaries and doctors open conversations; a patient only takes part in those opened with them.</summary>
    public static bool MayStartConversations(string role) => role is Roles.Secretary or Roles.Doctor;

    /// <summary>
    /// Whom a conversation's starter may bring in: a secretary reaches the practice's doctors and patients; a doctor
    /// its secretaries, doctors and patients. Admins are never brought in through their admin role.
    /// </summary>
    public static bool MayReach(string starterRole, string memberRole) => (starterRole, memberRole) switch
    {
        (Roles.Secretary, Roles.Doctor or Roles.Patient) => true,
        (Roles.Doctor, Roles.Secretary or Roles.Doctor or Roles.Patient) => true,
        _ => false,
    };

    /// <summary>Roles that take part in the practice's conversations (a patient also needs active consent).</summary>
    public static bool TakesPart(string role) => role is Roles.Secretary or Roles.Doctor or Roles.Patient;

    /// <summary>Admins manage the practice's people: list them, remove them, revoke their devices.</summary>
    public static bool MayManagePeople(string role) => role is Roles.Admin;

    /// <summary>Staff see who belongs to the practice (to choose whom to write to); patients do not.</summary>
    public static bool MaySeeMembers(string role) => Roles.IsStaffRole(role);

    /// <summary>Which account kind may hold a practice role: staff roles for staff accounts, patient for patients.</summary>
    public static bool FitsKind(string role, string kind) =>
        kind == Roles.Staff ? Roles.IsStaffRole(role) : kind == Roles.Patient && role == Roles.Patient;

    /// <summary>The account kind an invitation's role creates.</summary>
    public static string KindFor(string role) => role == Roles.Patient ? Roles.Patient : Roles.Staff;
}
