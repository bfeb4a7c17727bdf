using Messaging.Server.Features.Accounts.SecondFactor;
using Microsoft.Data.Sqlite;
using static Messaging.Server.Storage.Sqlite.SqliteValues;

namespace Messaging.Server.Storage.Sqlite;

/// <summary>
/// Second factors: <c>totp_secrets</c> (one per account, sealed), <c>recovery_codes</c> (hashes), <c>passkeys</c>
/// (public keys, by credential id) and the one-time codes (<c>SqliteSecondFactorStore.Codes.cs</c>). Every "use once"
/// is a conditional write on the single writer, so two concurrent uses of the same code or step cannot both pass.
/// </summary>
internal sealed partial class SqliteSecondFactorStore(SqliteDatabase database) : ISecondFactorStore
{
    private const string PasskeyColumns = "credential_id, account_id, public_key, sign_count, user_handle, created_at";

    public Task SaveTotpAsync(TotpSecret secret, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, transaction) =>
            connection.Command(
                    """
                    INSERT OR REPLACE INTO totp_secrets (account_id, sealed_secret, confirmed, last_used_step, created_at)
                    VALUES ($account, $secret, $confirmed, $step, $created);
                    """, transaction)
                .With("$account", Id(secret.AccountId))
                .With("$secret", secret.SealedSecret)
                .With("$confirmed", secret.Confirmed ? 1 : 0)
                .With("$step", secret.LastUsedStep)
                .With("$created", Time(secret.CreatedAt))
                .ExecuteAsync(CancellationToken.None), cancellationToken);

    public Task<TotpSecret?> FindTotpAsync(Guid accountId, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
            (await connection.Command("SELECT account_id, sealed_secret, confirmed, last_used_step, created_at FROM totp_secrets WHERE account_id = $account;")
                .With("$account", Id(accountId))
                .ReadAllAsync(r => new TotpSecret(r.GetId(0), r.GetBytes(1), r.GetInt64(2) == 1, r.GetInt64(3), r.GetTime(4)), cancellationToken))
            .SingleOrDefault());

    public async Task<bool> TryUseTotpStepAsync(Guid accountId, long step, CancellationToken cancellationToken) =>
        await database.WriteAsync((connection, transaction) =>
            connection.Command(
                    "UPDATE totp_secrets SET last_used_step = $step, confirmed = 1 WHERE account_id = $account AND last_used_step < $step;", transaction)
                .With("$account", Id(accountId))
                .With("$step", step)
                .ExecuteAsync(CancellationToken.None), cancellationToken) == 1;

    public Task ReplaceRecoveryCodesAsync(Guid accountId, IReadOnlyList<byte[]> codeHashes, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            await connection.Command("DELETE FROM recovery_codes WHERE account_id = $account;", transaction)
                .With("$account", Id(accountId))
                .ExecuteAsync(CancellationToken.None);
            await using var insert = connection.Command(
                "INSERT OR IGNORE INTO recovery_codes (account_id, code_hash) VALUES ($account, $hash);", transaction);
            insert.With("$account", Id(accountId));
            var hash = insert.Parameters.Add("$hash", SqliteType.Blob);
            foreach (var codeHash in codeHashes)
            {
                hash.Value = codeHash;
                await insert.ExecuteNonQueryAsync(CancellationToken.None);
            }

            return 0;
        }, cancellationToken);

    public async Task<bool> TryUseRecoveryCodeAsync(Guid accountId, byte[] codeHash, DateTimeOffset at, CancellationToken cancellationToken) =>
        await database.WriteAsync((connection, transaction) =>
            connection.Command(
                    "UPDATE recovery_codes SET used_at = $at WHERE account_id = $account AND code_hash = $hash AND used_at IS NULL;", transaction)
                .With("$account", Id(accountId))
                .With("$hash", codeHash)
                .With("$at", Time(at))
                .ExecuteAsync(CancellationToken.None), cancellationToken) == 1;

    public Task<int> CountUnusedRecoveryCodesAsync(Guid accountId, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
            (await connection.Command("SELECT count(*) FROM recovery_codes WHERE account_id = $account AND used_at IS NULL;")
                .With("$account", Id(accountId))
                .ReadAllAsync(r => r.GetInt32(0), cancellationToken)).Single());

    public Task AddPasskeyAsync(Passkey passkey, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, transaction) =>
            connection.Command($"INSERT INTO passkeys ({PasskeyColumns}) VALUES ($credential, $account, $public, $count, $handle, $created);", transaction)
                .With("$credential", passkey.CredentialId)
                .With("$account", Id(passkey.AccountId))
                .With("$public", passkey.PublicKey)
                .With("$count", (long)passkey.SignCount)
                .With("$handle", passkey.UserHandle)
                .With("$created", Time(passkey.CreatedAt))
                .ExecuteAsync(CancellationToken.None), cancellationToken);

    public Task<IReadOnlyList<Passkey>> ListPasskeysAsync(Guid accountId, CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<Passkey>>(async connection =>
            await connection.Command($"SELECT {PasskeyColumns} FROM passkeys WHERE account_id = $account ORDER BY created_at, credential_id;")
                .With("$account", Id(accountId))
                .ReadAllAsync(MapPasskey, cancellationToken));

    public Task<Passkey?> FindPasskeyAsync(byte[] credentialId, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
            (await connection.Command($"SELECT {PasskeyColumns} FROM passkeys WHERE credential_id = $credential;")
                .With("$credential", credentialId)
                .ReadAllAsync(MapPasskey, cancellationToken)).SingleOrDefault());

    public async Task<bool> UpdatePasskeyCounterAsync(byte[] credentialId, uint signCount, CancellationToken cancellationToken) =>
        await database.WriteAsync((connection, transaction) =>
            connection.Command("UPDATE passkeys SET sign_count = $count WHERE credential_id = $credential;", transaction)
                .With("$credential", credentialId)
                .With("$count", (long)signCount)
                .ExecuteAsync(CancellationToken.None), cancellationToken) == 1;

    private static Passkey MapPasskey(SqliteDataReader r) =>
        new(r.GetBytes(0), r.GetId(1), r.GetBytes(2), checked((uint)r.GetInt64(3)), r.GetBytes(4), r.GetTime(5));
}
