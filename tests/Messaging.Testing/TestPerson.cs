using Messaging.Contracts;

namespace Messaging.Testing;

/// <summary>
/// A person signed up through the real invitation flow: credentials, their practice and role, and a verified
/// account token (<see cref="Token"/>, renewed by <see cref="Scenario.FreshTokenAsync"/>). Staff keep their TOTP secret
/// and recovery codes so that the scenario can sign them in again.
/// </summary>
public sealed class TestPerson(string login, string password, Guid accountId, Guid practiceId, string role)
{
    public string Login { get; } = login;

    public string Password { get; } = password;

    public Guid AccountId { get; } = accountId;

    /// <summary>The practice the person was invited into (empty for the operator).</summary>
    public Guid PracticeId { get; } = practiceId;

    /// <summary>The practice role (<see cref="Roles"/>), or <see cref="Roles.Operator"/>.</summary>
    public string Role { get; } = role;

    /// <summary>The latest verified account token.</summary>
    public string Token { get; internal set; } = "";

    internal DateTimeOffset TokenExpiresAt { get; set; }

    public byte[]? TotpSecret { get; internal set; }

    /// <summary>Unused recovery codes (each sign-in again uses one).</summary>
    public Queue<string> RecoveryCodes { get; } = new();

    public bool IsPatient => Role == Roles.Patient;

    public override string ToString() => $"TestPerson({Role} {AccountId})";
}
