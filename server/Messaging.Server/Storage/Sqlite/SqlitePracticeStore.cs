using Messaging.Server.Features.Practices;
using Microsoft.Data.Sqlite;
using static Messaging.Server.Storage.Sqlite.SqliteValues;

namespace Messaging.Server.Storage.Sqlite;

/// <summary>
/// Practices in <c>practices</c>, and one row of <c>memberships</c> per role of an account in a practice (its primary
/// key: practice, account, role). Memberships are listed oldest first.
/// </summary>
internal sealed class SqlitePracticeStore(SqliteDatabase database) : IPracticeStore
{
    private const string MembershipColumns = "practice_id, account_id, role, since";
    private const string MembershipOrder = "ORDER BY since, practice_id, account_id, role";

    public Task CreateAsync(Practice practice, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, transaction) =>
            connection.Command("INSERT INTO practices (id, name, created_at) VALUES ($id, $name, $created);", transaction)
                .With("$id", Id(practice.Id))
                .With("$name", practice.Name)
                .With("$created", Time(practice.CreatedAt))
                .ExecuteAsync(CancellationToken.None), cancellationToken);

    public Task<Practice?> FindAsync(Guid practiceId, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
            (await connection.Command("SELECT id, name, created_at FROM practices WHERE id = $id;")
                .With("$id", Id(practiceId))
                .ReadAllAsync(r => new Practice(r.GetId(0), r.GetString(1), r.GetTime(2)), cancellationToken)).SingleOrDefault());

    public async Task<bool> AddMembershipAsync(Membership membership, CancellationToken cancellationToken) =>
        await database.WriteAsync((connection, transaction) =>
            connection.Command(
                    $"INSERT INTO memberships ({MembershipColumns}) VALUES ($practice, $account, $role, $since) ON CONFLICT DO NOTHING;", transaction)
                .With("$practice", Id(membership.PracticeId))
                .With("$account", Id(membership.AccountId))
                .With("$role", membership.Role)
                .With("$since", Time(membership.Since))
                .ExecuteAsync(CancellationToken.None), cancellationToken) == 1;

    public Task<int> RemoveMembershipsAsync(Guid practiceId, Guid accountId, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, transaction) =>
            connection.Command("DELETE FROM memberships WHERE practice_id = $practice AND account_id = $account;", transaction)
                .With("$practice", Id(practiceId))
                .With("$account", Id(accountId))
                .ExecuteAsync(CancellationToken.None), cancellationToken);

    public Task<IReadOnlyList<Membership>> ListForAccountsAsync(IReadOnlyCollection<Guid> accountIds, CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<Membership>>(async connection =>
            accountIds.Count == 0
                ? []
                : await connection.Command(
                        $"SELECT {MembershipColumns} FROM memberships WHERE account_id IN ({InList("a", accountIds.Count)}) {MembershipOrder};")
                    .WithIds("a", accountIds)
                    .ReadAllAsync(MapMembership, cancellationToken));

    public Task<IReadOnlyList<Membership>> ListForPracticeAsync(Guid practiceId, CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<Membership>>(async connection =>
            await connection.Command($"SELECT {MembershipColumns} FROM memberships WHERE practice_id = $practice {MembershipOrder};")
                .With("$practice", Id(practiceId))
                .ReadAllAsync(MapMembership, cancellationToken));

    private static Membership MapMembership(SqliteDataReader r) => new(r.GetId(0), r.GetId(1), r.GetString(2), r.GetTime(3));
}
