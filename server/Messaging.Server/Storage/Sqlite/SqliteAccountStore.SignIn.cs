using Messaging.Server.Features.Accounts;
using Microsoft.Data.Sqlite;
using static Messaging.Server.Storage.Sqlite.SqliteValues;

namespace Messaging.Server.Storage.Sqlite;

/// <summary>
/// Failed sign-ins, in the account's row. Each change is one statement on the single writer, so concurrent failures
/// are all counted. An unknown account has no state: reads answer <see cref="SignInState.None"/> and writes do nothing.
/// </summary>
internal sealed partial class SqliteAccountStore
{
    private const string SignInColumns = "failed_sign_ins, locked_until, unseen_failed_sign_ins, last_failed_sign_in_at";

    public Task<SignInState> GetSignInStateAsync(Guid accountId, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
            (await connection.Command($"SELECT {SignInColumns} FROM accounts WHERE id = $id;")
                .With("$id", Id(accountId))
                .ReadAllAsync(MapSignIn, cancellationToken)).SingleOrDefault() ?? SignInState.None);

    public Task<SignInState> RecordSignInFailureAsync(Guid accountId, DateTimeOffset at, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
            (await connection.Command(
                    $"""
                     UPDATE accounts
                     SET failed_sign_ins = failed_sign_ins + 1, unseen_failed_sign_ins = unseen_failed_sign_ins + 1, last_failed_sign_in_at = $at
                     WHERE id = $id
                     RETURNING {SignInColumns};
                     """, transaction)
                .With("$id", Id(accountId))
                .With("$at", Time(at))
                .ReadAllAsync(MapSignIn, CancellationToken.None)).SingleOrDefault() ?? SignInState.None, cancellationToken);

    public Task SetLockedUntilAsync(Guid accountId, DateTimeOffset? lockedUntil, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, transaction) =>
            connection.Command("UPDATE accounts SET locked_until = $until WHERE id = $id;", transaction)
                .With("$id", Id(accountId))
                .With("$until", lockedUntil is { } until ? Time(until) : null)
                .ExecuteAsync(CancellationToken.None), cancellationToken);

    public Task<SignInState> RecordSignInSuccessAsync(Guid accountId, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            // Read and reset in one write transaction: no failure can slip in between.
            var before = (await connection.Command($"SELECT {SignInColumns} FROM accounts WHERE id = $id;", transaction)
                .With("$id", Id(accountId))
                .ReadAllAsync(MapSignIn, CancellationToken.None)).SingleOrDefault();
            if (before is null)
            {
                return SignInState.None;
            }

            await connection.Command(
                    """
                    UPDATE accounts
                    SET failed_sign_ins = 0, locked_until = NULL, unseen_failed_sign_ins = 0, last_failed_sign_in_at = NULL
                    WHERE id = $id;
                    """, transaction)
                .With("$id", Id(accountId))
                .ExecuteAsync(CancellationToken.None);
            return before;
        }, cancellationToken);

    private static SignInState MapSignIn(SqliteDataReader r) =>
        new(r.GetInt32(0), r.GetNullableTime(1), r.GetInt32(2), r.GetNullableTime(3));
}
