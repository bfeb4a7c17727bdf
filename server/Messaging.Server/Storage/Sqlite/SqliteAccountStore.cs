using Messaging.Server.Features.Accounts;
using Microsoft.Data.Sqlite;
using static Messaging.Server.Storage.Sqlite.SqliteValues;

namespace Messaging.Server.Storage.Sqlite;

internal sealed class SqliteAccountStore(SqliteDatabase database) : IAccountStore
{
    private const string Columns = "id, login_index, password_hash, role, created_at";

    public async Task<bool> TryCreateAsync(Account account, CancellationToken cancellationToken)
    {
        try
        {
            await database.WriteAsync(async (connection, transaction) =>
                await connection.Command($"INSERT INTO accounts ({Columns}) VALUES ($id, $login, $hash, $role, $created);", transaction)
                    .With("$id", Id(account.Id))
                    .With("$login", account.LoginIndex)
                    .With("$hash", account.PasswordHash)
                    .With("$role", account.Role)
                    .With("$created", Time(account.CreatedAt))
                    .ExecuteNonQueryAsync(CancellationToken.None), cancellationToken);
            return true;
        }
        catch (SqliteException e) when (e.SqliteExtendedErrorCode == SqliteConstraintCodes.Unique || e.SqliteExtendedErrorCode == SqliteConstraintCodes.PrimaryKey)
        {
            return false;
        }
    }

    public Task<Account?> FindAsync(Guid accountId, CancellationToken cancellationToken) =>
        FindOneAsync("id = $key", Id(accountId), cancellationToken);

    public Task<Account?> FindByLoginIndexAsync(byte[] loginIndex, CancellationToken cancellationToken) =>
        FindOneAsync("login_index = $key", loginIndex, cancellationToken);

    public Task<IReadOnlyList<Account>> FindManyAsync(IReadOnlyCollection<Guid> accountIds, CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<Account>>(async connection =>
            accountIds.Count == 0
                ? []
                : await connection.Command($"SELECT {Columns} FROM accounts WHERE id IN ({InList("a", accountIds.Count)});")
                    .WithIds("a", accountIds)
                    .ReadAllAsync(Map, cancellationToken));

    private Task<Account?> FindOneAsync(string where, object key, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
            (await connection.Command($"SELECT {Columns} FROM accounts WHERE {where};")
                .With("$key", key)
                .ReadAllAsync(Map, cancellationToken)).SingleOrDefault());

    private static Account Map(SqliteDataReader r) =>
        new(r.GetId(0), r.GetBytes(1), r.GetString(2), r.GetString(3), r.GetTime(4));
}
