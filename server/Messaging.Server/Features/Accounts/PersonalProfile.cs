namespace Messaging.Server.Features.Accounts;

/// <summary>
/// What identifies a person: stored only sealed by <see cref="PersonalDataProtector"/>. Its text form names nothing,
/// so a profile that reaches a log line or an exception message by mistake leaks nothing.
/// </summary>
internal sealed record PersonalProfile(string? Name, string? Email, string? Phone)
{
    public override string ToString() => "PersonalProfile(redacted)";
}
