using Messaging.Server.Features.Accounts;
using Microsoft.Data.Sqlite;
using static Messaging.Server.Storage.Sqlite.SqliteValues;

namespace Messaging.Server.Storage.Sqlite;

/// <summary>
/// Accounts in <c>accounts</c>. Its <c>role</c> column holds the account kind (migration 4 renamed the old values);
/// the login and the email are found through their blind indexes, both unique (the email one only where present).
/// Failed sign-ins are in the same row (<c>SqliteAccountStore.SignIn.cs</c>).
/// </summary>
internal sealed partial class SqliteAccountStore(SqliteDatabase database) : IAccountStore
{
    private const string Columns =
        "id, login_index, password_hash, role, created_at, email_index, profile, language, consent_terms_version, consent_given_at, consent_withdrawn_at";

    public async Task<bool> TryCreateAsync(Account account, CancellationToken cancellationToken)
    {
        try
        {
            await database.WriteAsync(async (connection, transaction) =>
                await connection.Command(
                        $"""
                         INSERT INTO accounts ({Columns})
                         VALUES ($id, $login, $hash, $kind, $created, $email, $profile, $language, $terms, $given, $withdrawn);
                         """, transaction)
                    .With("$id", Id(account.Id))
                    .With("$login", account.LoginIndex)
                    .With("$hash", account.PasswordHash)
                    .With("$kind", account.Kind)
                    .With("$created", Time(account.CreatedAt))
                    .With("$email", account.EmailIndex)
                    .With("$profile", account.Profile)
                    .With("$language", account.Language)
                    .With("$terms", account.Consent?.TermsVersion)
                    .With("$given", account.Consent is { } consent ? Time(consent.GivenAt) : null)
                    .With("$withdrawn", account.Consent?.WithdrawnAt is { } withdrawn ? Time(withdrawn) : null)
                    .ExecuteAsync(CancellationToken.None), cancellationToken);
            return true;
        }
        catch (SqliteException e) when (e.SqliteExtendedErrorCode == SqliteConstraintCodes.Unique || e.SqliteExtendedErrorCode == SqliteConstraintCodes.PrimaryKey)
        {
            // The login index, the email index or the id is taken.
            return false;
        }
    }

    public Task<Account?> FindAsync(Guid accountId, CancellationToken cancellationToken) =>
        FindOneAsync("id = $key", Id(accountId), cancellationToken);

    public Task<Account?> FindByLoginIndexAsync(byte[] loginIndex, CancellationToken cancellationToken) =>
        FindOneAsync("login_index = $key", loginIndex, cancellationToken);

    public Task<Account?> FindByEmailIndexAsync(byte[] emailIndex, CancellationToken cancellationToken) =>
        FindOneAsync("email_index = $key", emailIndex, cancellationToken);

    public Task<IReadOnlyList<Account>> FindManyAsync(IReadOnlyCollection<Guid> accountIds, CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<Account>>(async connection =>
            accountIds.Count == 0
                ? []
                : await connection.Command($"SELECT {Columns} FROM accounts WHERE id IN ({InList("a", accountIds.Count)});")
                    .WithIds("a", accountIds)
                    .ReadAllAsync(Map, cancellationToken));

    public async Task<bool> UpdatePasswordAsync(Guid accountId, string passwordHash, CancellationToken cancellationToken) =>
        await database.WriteAsync((connection, transaction) =>
            connection.Command("UPDATE accounts SET password_hash = $hash WHERE id = $id;", transaction)
                .With("$id", Id(accountId))
                .With("$hash", passwordHash)
                .ExecuteAsync(CancellationToken.None), cancellationToken) == 1;

    public Task SetConsentAsync(Guid accountId, Consent consent, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, transaction) =>
            connection.Command(
                    """
                    UPDATE accounts SET consent_terms_version = $terms, consent_given_at = $given, consent_withdrawn_at = $withdrawn
                    WHERE id = $id;
                    """, transaction)
                .With("$id", Id(accountId))
                .With("$terms", consent.TermsVersion)
                .With("$given", Time(consent.GivenAt))
                .With("$withdrawn", consent.WithdrawnAt is { } withdrawn ? Time(withdrawn) : null)
                .ExecuteAsync(CancellationToken.None), cancellationToken);

    private Task<Account?> FindOneAsync(string where, object key, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
            (await connection.Command($"SELECT {Columns} FROM accounts WHERE {where};")
                .With("$key", key)
                .ReadAllAsync(Map, cancellationToken)).SingleOrDefault());

    private static Account Map(SqliteDataReader r) =>
        new(r.GetId(0), r.GetBytes(1), r.GetString(2), r.GetString(3), r.GetTime(4))
        {
            EmailIndex = r.IsDBNull(5) ? null : r.GetBytes(5),
            Profile = r.IsDBNull(6) ? null : r.GetBytes(6),
            Language = r.GetString(7),
            Consent = r.GetNullableString(8) is { } terms ? new Consent(terms, r.GetTime(9), r.GetNullableTime(10)) : null,
        };
}
