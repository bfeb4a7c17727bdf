using System.Security.Cryptography;
using Messaging.Server.Features.Accounts.SecondFactor;
using Microsoft.Data.Sqlite;
using static Messaging.Server.Storage.Sqlite.SqliteValues;

namespace Messaging.Server.Storage.Sqlite;

/// <summary>
/// One-time codes in <c>one_time_codes</c>: one pending code per account and purpose, with its failed attempts. A check
/// reads and writes in one write transaction, so concurrent guesses are each counted and a code is used once.
/// </summary>
internal sealed partial class SqliteSecondFactorStore
{
    public Task SaveCodeAsync(OneTimeCode code, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, transaction) =>
            connection.Command(
                    """
                    INSERT OR REPLACE INTO one_time_codes (account_id, purpose, code_hash, expires_at, failed_attempts)
                    VALUES ($account, $purpose, $hash, $expires, 0);
                    """, transaction)
                .With("$account", Id(code.AccountId))
                .With("$purpose", code.Purpose)
                .With("$hash", code.CodeHash)
                .With("$expires", Time(code.ExpiresAt))
                .ExecuteAsync(CancellationToken.None), cancellationToken);

    public Task<bool> TryUseCodeAsync(
        Guid accountId, string purpose, byte[] codeHash, DateTimeOffset at, int maxAttempts, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            var pending = (await connection.Command(
                    "SELECT code_hash, expires_at, failed_attempts FROM one_time_codes WHERE account_id = $account AND purpose = $purpose;",
                    transaction)
                .With("$account", Id(accountId))
                .With("$purpose", purpose)
                .ReadAllAsync(r => (Hash: r.GetBytes(0), ExpiresAt: r.GetTime(1), FailedAttempts: r.GetInt32(2)), CancellationToken.None))
                .SingleOrDefault();
            if (pending.Hash is null)
            {
                return false;
            }

            if (pending.ExpiresAt <= at || pending.FailedAttempts >= maxAttempts)
            {
                // Dead already: expired, or out of attempts (a lower limit than when it was counted).
                await DeleteCodeAsync(connection, transaction, accountId, purpose);
                return false;
            }

            if (CryptographicOperations.FixedTimeEquals(pending.Hash, codeHash))
            {
                await DeleteCodeAsync(connection, transaction, accountId, purpose);
                return true;
            }

            if (pending.FailedAttempts + 1 >= maxAttempts)
            {
                await DeleteCodeAsync(connection, transaction, accountId, purpose);
            }
            else
            {
                await connection.Command(
                        "UPDATE one_time_codes SET failed_attempts = failed_attempts + 1 WHERE account_id = $account AND purpose = $purpose;",
                        transaction)
                    .With("$account", Id(accountId))
                    .With("$purpose", purpose)
                    .ExecuteAsync(CancellationToken.None);
            }

            return false;
        }, cancellationToken);

    private static Task<int> DeleteCodeAsync(SqliteConnection connection, SqliteTransaction transaction, Guid accountId, string purpose) =>
        connection.Command("DELETE FROM one_time_codes WHERE account_id = $account AND purpose = $purpose;", transaction)
            .With("$account", Id(accountId))
            .With("$purpose", purpose)
            .ExecuteAsync(CancellationToken.None);
}
