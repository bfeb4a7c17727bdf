namespace Messaging.Server.Features.Practices;

internal interface IPracticeStore
{
    Task CreateAsync(Practice practice, CancellationToken cancellationToken);

    Task<Practice?> FindAsync(Guid practiceId, CancellationToken cancellationToken);

    /// <summary>Adds the membership; false when the account already holds that role in that practice.</summary>
    Task<bool> AddMembershipAsync(Membership membership, CancellationToken cancellationToken);

    /// <summary>Removes every role of the account in the practice; returns how many were removed.</summary>
    Task<int> RemoveMembershipsAsync(Guid practiceId, Guid accountId, CancellationToken cancellationToken);

    /// <summary>Every role, in every practice, of these accounts.</summary>
    Task<IReadOnlyList<Membership>> ListForAccountsAsync(IReadOnlyCollection<Guid> accountIds, CancellationToken cancellationToken);

    Task<IReadOnlyList<Membership>> ListForPracticeAsync(Guid practiceId, CancellationToken cancellationToken);
}

internal interface IInvitationStore
{
    Task CreateAsync(Invitation invitation, CancellationToken cancellationToken);

    Task<Invitation?> FindByTokenHashAsync(byte[] tokenHash, CancellationToken cancellationToken);

    /// <summary>
    /// Marks the invitation used by <paramref name="accountId"/>, atomically: false when it was used already or
    /// had expired at <paramref name="at"/>. Two concurrent acceptances: exactly one wins.
    /// </summary>
    Task<bool> TryConsumeAsync(Guid invitationId, Guid accountId, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Deletes the invitations, used or not, that expired before <paramref name="now"/>; returns how many.</summary>
    Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
