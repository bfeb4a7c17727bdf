using Messaging.Server.Features.Practices;
using Microsoft.Data.Sqlite;
using static Messaging.Server.Storage.Sqlite.SqliteValues;

namespace Messaging.Server.Storage.Sqlite;

/// <summary>
/// Invitations in <c>invitations</c>, found by the hash of their token (unique). Consuming one is a single conditional
/// UPDATE on the single writer: of two concurrent acceptances, the second finds it used.
/// </summary>
internal sealed class SqliteInvitationStore(SqliteDatabase database) : IInvitationStore
{
    private const string Columns =
        "id, token_hash, practice_id, role, invited_by, created_at, expires_at, profile, language, used_at, used_by";

    public Task CreateAsync(Invitation invitation, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, transaction) =>
            connection.Command(
                    $"""
                     INSERT INTO invitations ({Columns})
                     VALUES ($id, $token, $practice, $role, $by, $created, $expires, $profile, $language, $usedAt, $usedBy);
                     """, transaction)
                .With("$id", Id(invitation.Id))
                .With("$token", invitation.TokenHash)
                .With("$practice", Id(invitation.PracticeId))
                .With("$role", invitation.Role)
                .With("$by", invitation.InvitedBy is { } by ? Id(by) : null)
                .With("$created", Time(invitation.CreatedAt))
                .With("$expires", Time(invitation.ExpiresAt))
                .With("$profile", invitation.Profile)
                .With("$language", invitation.Language)
                .With("$usedAt", invitation.UsedAt is { } usedAt ? Time(usedAt) : null)
                .With("$usedBy", invitation.UsedBy is { } usedBy ? Id(usedBy) : null)
                .ExecuteAsync(CancellationToken.None), cancellationToken);

    public Task<Invitation?> FindByTokenHashAsync(byte[] tokenHash, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
            (await connection.Command($"SELECT {Columns} FROM invitations WHERE token_hash = $token;")
                .With("$token", tokenHash)
                .ReadAllAsync(Map, cancellationToken)).SingleOrDefault());

    public async Task<bool> TryConsumeAsync(Guid invitationId, Guid accountId, DateTimeOffset at, CancellationToken cancellationToken) =>
        await database.WriteAsync((connection, transaction) =>
            connection.Command(
                    "UPDATE invitations SET used_at = $at, used_by = $account WHERE id = $id AND used_at IS NULL AND expires_at > $at;",
                    transaction)
                .With("$id", Id(invitationId))
                .With("$account", Id(accountId))
                .With("$at", Time(at))
                .ExecuteAsync(CancellationToken.None), cancellationToken) == 1;

    public Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        database.DeleteInBatchesAsync("invitations", "rowid", "expires_at", now, cancellationToken);

    private static Invitation Map(SqliteDataReader r) =>
        new(r.GetId(0), r.GetBytes(1), r.GetId(2), r.GetString(3), r.GetNullableId(4), r.GetTime(5), r.GetTime(6))
        {
            Profile = r.IsDBNull(7) ? null : r.GetBytes(7),
            Language = r.GetString(8),
            UsedAt = r.GetNullableTime(9),
            UsedBy = r.GetNullableId(10),
        };
}
