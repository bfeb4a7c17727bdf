using Messaging.Server.Features.Accounts.SecondFactor;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

/// <summary>
/// Second factors: <c>totp_secrets</c>, <c>recovery_codes</c> (one document per account), <c>passkeys</c> and the
/// one-time codes (<c>MongoSecondFactorStore.Codes.cs</c>). Every "use once" is one conditional update of one
/// document, which MongoDB applies atomically: of two concurrent uses of the same step or code, one matches.
/// </summary>
internal sealed partial class MongoSecondFactorStore(MongoContext context) : ISecondFactorStore
{
    private static readonly FilterDefinitionBuilder<TotpSecretDocument> Totp = Builders<TotpSecretDocument>.Filter;
    private static readonly FilterDefinitionBuilder<PasskeyDocument> Passkeys = Builders<PasskeyDocument>.Filter;
    private static readonly FilterDefinitionBuilder<RecoveryCodeDocument> Code = Builders<RecoveryCodeDocument>.Filter;

    public Task SaveTotpAsync(TotpSecret secret, CancellationToken cancellationToken) =>
        MongoErrors.UpsertAsync(() => context.TotpSecrets().ReplaceOneAsync(
            Totp.Eq(t => t.AccountId, secret.AccountId),
            new TotpSecretDocument
            {
                AccountId = secret.AccountId,
                SealedSecret = secret.SealedSecret,
                Confirmed = secret.Confirmed,
                LastUsedStep = secret.LastUsedStep,
                CreatedAt = MongoValues.Ticks(secret.CreatedAt),
            },
            new ReplaceOptions { IsUpsert = true },
            cancellationToken));

    public async Task<TotpSecret?> FindTotpAsync(Guid accountId, CancellationToken cancellationToken)
    {
        var d = await context.TotpSecrets().Find(Totp.Eq(t => t.AccountId, accountId)).FirstOrDefaultAsync(cancellationToken);
        return d is null ? null : new TotpSecret(d.AccountId, d.SealedSecret, d.Confirmed, d.LastUsedStep, MongoValues.Time(d.CreatedAt));
    }

    public async Task<bool> TryUseTotpStepAsync(Guid accountId, long step, CancellationToken cancellationToken)
    {
        var result = await context.TotpSecrets().UpdateOneAsync(
            Totp.Eq(t => t.AccountId, accountId) & Totp.Lt(t => t.LastUsedStep, step),
            Builders<TotpSecretDocument>.Update.Set(t => t.LastUsedStep, step).Set(t => t.Confirmed, true),
            cancellationToken: cancellationToken);
        return result.MatchedCount == 1;
    }

    public Task ReplaceRecoveryCodesAsync(Guid accountId, IReadOnlyList<byte[]> codeHashes, CancellationToken cancellationToken) =>
        MongoErrors.UpsertAsync(() => context.RecoveryCodes().ReplaceOneAsync(
            Builders<RecoveryCodesDocument>.Filter.Eq(r => r.AccountId, accountId),
            new RecoveryCodesDocument
            {
                AccountId = accountId,
                // As SQLite's primary key (account, hash): the same hash twice is one code.
                Codes = [.. codeHashes.DistinctBy(Convert.ToHexString).Select(h => new RecoveryCodeDocument { Hash = h })],
            },
            new ReplaceOptions { IsUpsert = true },
            cancellationToken));

    public async Task<bool> TryUseRecoveryCodeAsync(Guid accountId, byte[] codeHash, DateTimeOffset at, CancellationToken cancellationToken)
    {
        // The positional operator sets usedAt on the element the filter matched: an unused code with this hash.
        var result = await context.RecoveryCodes().UpdateOneAsync(
            Builders<RecoveryCodesDocument>.Filter.Eq(r => r.AccountId, accountId)
            & Builders<RecoveryCodesDocument>.Filter.ElemMatch(r => r.Codes, Code.Eq(c => c.Hash, codeHash) & Code.Eq(c => c.UsedAt, null)),
            new BsonDocument("$set", new BsonDocument(
                $"{RecoveryCodesDocument.CodesField}.$.{RecoveryCodeDocument.UsedAtField}", MongoValues.Ticks(at))),
            cancellationToken: cancellationToken);
        return result.MatchedCount == 1;
    }

    public async Task<int> CountUnusedRecoveryCodesAsync(Guid accountId, CancellationToken cancellationToken)
    {
        var document = await context.RecoveryCodes().Find(r => r.AccountId == accountId).FirstOrDefaultAsync(cancellationToken);
        return document?.Codes.Count(c => c.UsedAt is null) ?? 0;
    }

    public Task AddPasskeyAsync(Passkey passkey, CancellationToken cancellationToken) =>
        context.Passkeys().InsertOneAsync(
            new PasskeyDocument
            {
                CredentialId = passkey.CredentialId,
                AccountId = passkey.AccountId,
                PublicKey = passkey.PublicKey,
                SignCount = passkey.SignCount,
                UserHandle = passkey.UserHandle,
                CreatedAt = MongoValues.Ticks(passkey.CreatedAt),
            },
            cancellationToken: cancellationToken);

    public async Task<IReadOnlyList<Passkey>> ListPasskeysAsync(Guid accountId, CancellationToken cancellationToken)
    {
        var documents = await context.Passkeys()
            .Find(Passkeys.Eq(p => p.AccountId, accountId))
            .Sort(Builders<PasskeyDocument>.Sort.Ascending(p => p.CreatedAt).Ascending(p => p.CredentialId))
            .ToListAsync(cancellationToken);
        return [.. documents.Select(ToPasskey)];
    }

    public async Task<Passkey?> FindPasskeyAsync(byte[] credentialId, CancellationToken cancellationToken)
    {
        var document = await context.Passkeys().Find(Passkeys.Eq(p => p.CredentialId, credentialId)).FirstOrDefaultAsync(cancellationToken);
        return document is null ? null : ToPasskey(document);
    }

    public async Task<bool> UpdatePasskeyCounterAsync(byte[] credentialId, uint signCount, CancellationToken cancellationToken)
    {
        var result = await context.Passkeys().UpdateOneAsync(
            Passkeys.Eq(p => p.CredentialId, credentialId),
            Builders<PasskeyDocument>.Update.Set(p => p.SignCount, signCount),
            cancellationToken: cancellationToken);
        // Matched, not modified: the same counter again (authenticators that keep 0) still finds the credential.
        return result.MatchedCount == 1;
    }

    private static Passkey ToPasskey(PasskeyDocument d) =>
        new(d.CredentialId, d.AccountId, d.PublicKey, checked((uint)d.SignCount), d.UserHandle, MongoValues.Time(d.CreatedAt));
}
