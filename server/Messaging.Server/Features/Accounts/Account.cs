namespace Messaging.Server.Features.Accounts;

/// <summary>
/// An account as stored. The login itself is never stored, only its keyed hash (a blind index); what identifies a
/// person (name, email, phone) is in <see cref="Profile"/>, sealed with the server's personal-data key, and the
/// email is found through <see cref="EmailIndex"/>, another keyed hash. <see cref="Kind"/> is a
/// <see cref="Contracts.Roles"/> account kind: operator, staff or patient.
/// </summary>
internal sealed record Account(Guid Id, byte[] LoginIndex, string PasswordHash, string Kind, DateTimeOffset CreatedAt)
{
    public byte[]? EmailIndex { get; init; }

    /// <summary>A sealed <see cref="PersonalProfile"/> whose owner is <see cref="Id"/> (PersonalDataProtector).</summary>
    public byte[]? Profile { get; init; }

    /// <summary>The language of emails and of the web client: "fr" (default) or "en".</summary>
    public string Language { get; init; } = "fr";

    /// <summary>A patient's consent to receive messages; null until given.</summary>
    public Consent? Consent { get; init; }

    public bool HasActiveConsent => Consent is { WithdrawnAt: null };
}

/// <summary>Explicit consent: the terms version accepted and when; a withdrawal keeps the record and its time.</summary>
internal sealed record Consent(string TermsVersion, DateTimeOffset GivenAt, DateTimeOffset? WithdrawnAt);

/// <summary>
/// Failed sign-ins of an account: <see cref="ConsecutiveFailures"/> drive the lockout's backoff;
/// <see cref="UnseenFailures"/> are reported to the person at their next successful sign-in.
/// </summary>
internal sealed record SignInState(int ConsecutiveFailures, DateTimeOffset? LockedUntil, int UnseenFailures, DateTimeOffset? LastFailureAt)
{
    public static SignInState None { get; } = new(0, null, 0, null);
}
