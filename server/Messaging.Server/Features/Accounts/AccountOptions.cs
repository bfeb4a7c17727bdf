namespace Messaging.Server.Features.Accounts;

/// <summary>The <c>Messaging:Accounts</c> configuration section.</summary>
internal sealed class AccountOptions
{
    public const string Section = "Messaging:Accounts";

    /// <summary>The terms patients accept; changing it asks every patient to consent again before delivery resumes.</summary>
    public string TermsVersion { get; set; } = "2026-11";

    /// <summary>How long an invitation link works.</summary>
    public TimeSpan InvitationLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long a code sent by email (new device sign-in) works.</summary>
    public TimeSpan EmailCodeLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a password-reset link works.</summary>
    public TimeSpan PasswordResetLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Wrong guesses allowed on one emailed code before it is destroyed.</summary>
    public int MaxCodeAttempts { get; set; } = 5;

    /// <summary>Consecutive failed sign-ins (passwords and codes) before the account locks.</summary>
    public int FailuresBeforeLockout { get; set; } = 5;

    /// <summary>The first lock; each further failure doubles it, up to <see cref="MaxLockout"/>.</summary>
    public TimeSpan FirstLockout { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan MaxLockout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How many single-use recovery codes an enrolment gives.</summary>
    public int RecoveryCodeCount { get; set; } = 10;
}
