using System.Security.Cryptography;
using Messaging.Server.Features.Keys;

namespace Messaging.Server.Tests.Storage;

public abstract partial class StoreContractTests
{
    private const int MaxPerKind = 1000;

    /// <summary>The last-resort KEM prekey's id in these tests (it shares one id space with the KEM one-time prekeys).</summary>
    private const uint LastResortId = 1000;

    private static StoredPrekey Spk(uint id) => new(id, RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(64));

    private static StoredPrekey Kem(uint id) => new(id, RandomNumberGenerator.GetBytes(1184), RandomNumberGenerator.GetBytes(64));

    private static StoredPrekey Opk(uint id) => new(id, RandomNumberGenerator.GetBytes(32), null);

    private static PrekeyUpload Upload(
        Guid device, StoredPrekey? spk = null, StoredPrekey? lastResort = null, StoredPrekey[]? oneTime = null, StoredPrekey[]? kem = null, int second = 0) =>
        new(device, spk, lastResort, oneTime ?? [], kem ?? [], T0.AddSeconds(second));

    private async Task UploadStoredAsync(PrekeyUpload upload, int max = MaxPerKind) =>
        Assert.Equal(PrekeyUploadStatus.Stored, await Stores.Prekeys.UploadAsync(upload, max, Ct));

    private async Task<ClaimedPrekeys> ClaimAsync(Guid device) => Assert.IsType<ClaimedPrekeys>(await Stores.Prekeys.ClaimAsync(device, Ct));

    private static uint[] Ids(params uint[] ids) => ids;

    [Fact]
    public async Task PrekeyUpload_FullSet_CountsAndClaimReturnEveryField()
    {
        var device = Guid.NewGuid();
        var (spk, lastResort, opk, pqopk) = (Spk(7), Kem(8), Opk(1), Kem(2));

        await UploadStoredAsync(Upload(device, spk, lastResort, [opk, Opk(3)], [pqopk, Kem(4)]));

        Assert.Equal(new PrekeyCounts(true, true, 2, 2), await Stores.Prekeys.CountAsync(device, Ct));
        var claimed = await ClaimAsync(device);
        AssertSameKey(spk, claimed.SignedPrekey);
        AssertSameKey(opk, claimed.OneTimePrekey);
        AssertSameKey(pqopk, claimed.PqPrekey);
        Assert.False(claimed.LastResort);
        Assert.Equal(new PrekeyCounts(true, true, 1, 1), await Stores.Prekeys.CountAsync(device, Ct));
    }

    [Fact]
    public async Task PrekeyUpload_NewSignedAndLastResort_ReplaceCurrentOnesAndKeepOneTimeOnes()
    {
        var device = Guid.NewGuid();
        await UploadStoredAsync(Upload(device, Spk(1), Kem(LastResortId), [Opk(1)], [Kem(1)]));
        var (spk, lastResort) = (Spk(2), Kem(2));

        await UploadStoredAsync(Upload(device, spk, lastResort, second: 1));

        Assert.Equal(new PrekeyCounts(true, true, 1, 1), await Stores.Prekeys.CountAsync(device, Ct));
        var first = await ClaimAsync(device);
        AssertSameKey(spk, first.SignedPrekey);
        var second = await ClaimAsync(device);
        AssertSameKey(lastResort, second.PqPrekey);
        Assert.True(second.LastResort);
    }

    [Fact]
    public async Task PrekeyClaim_SeveralUploads_HandsOutOneTimeKeysInUploadOrder()
    {
        var device = Guid.NewGuid();
        await UploadStoredAsync(Upload(device, Spk(1), Kem(LastResortId), [Opk(5), Opk(3), Opk(9)], [Kem(50), Kem(30)]));
        await UploadStoredAsync(Upload(device, oneTime: [Opk(1)], kem: [Kem(10)], second: 1));

        var claims = new List<ClaimedPrekeys>();
        for (var i = 0; i < 5; i++)
        {
            claims.Add(await ClaimAsync(device));
        }

        Assert.Equal([5u, 3u, 9u, 1u, null], claims.Select(c => c.OneTimePrekey?.Id));
        Assert.Equal(Ids(50, 30, 10, LastResortId, LastResortId), claims.Select(c => c.PqPrekey.Id));
        Assert.Equal([false, false, false, true, true], claims.Select(c => c.LastResort));
    }

    [Fact]
    public async Task PrekeyClaim_NoOneTimeKeysLeft_FallsBackToLastResortAndNoOneTimeKey()
    {
        var device = Guid.NewGuid();
        var lastResort = Kem(99);
        await UploadStoredAsync(Upload(device, Spk(1), lastResort));

        var claimed = await ClaimAsync(device);

        Assert.Null(claimed.OneTimePrekey);
        Assert.True(claimed.LastResort);
        AssertSameKey(lastResort, claimed.PqPrekey);
        Assert.Equal(new PrekeyCounts(true, true, 0, 0), await Stores.Prekeys.CountAsync(device, Ct));
    }

    [Fact]
    public async Task PrekeyClaim_WithoutSignedOrLastResortKey_ReturnsNullAndTakesNothing()
    {
        var (noLastResort, noSigned, unknown) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await UploadStoredAsync(Upload(noLastResort, spk: Spk(1), oneTime: [Opk(1)], kem: [Kem(1)]));
        await UploadStoredAsync(Upload(noSigned, lastResort: Kem(LastResortId), oneTime: [Opk(1)], kem: [Kem(1)]));

        Assert.Null(await Stores.Prekeys.ClaimAsync(noLastResort, Ct));
        Assert.Null(await Stores.Prekeys.ClaimAsync(noSigned, Ct));
        Assert.Null(await Stores.Prekeys.ClaimAsync(unknown, Ct));
        Assert.Equal(new PrekeyCounts(true, false, 1, 1), await Stores.Prekeys.CountAsync(noLastResort, Ct));
        Assert.Equal(new PrekeyCounts(false, true, 1, 1), await Stores.Prekeys.CountAsync(noSigned, Ct));
        Assert.Equal(new PrekeyCounts(false, false, 0, 0), await Stores.Prekeys.CountAsync(unknown, Ct));
    }

    [Fact]
    public async Task PrekeyClaim_TwentyAtOnce_NeverHandsOutAOneTimeKeyTwice()
    {
        var device = Guid.NewGuid();
        var ids = Enumerable.Range(1, 12).Select(i => (uint)i).ToArray();
        await UploadStoredAsync(Upload(device, Spk(1), Kem(LastResortId), [.. ids.Select(Opk)], [.. ids.Select(Kem)]));

        var claims = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => ClaimAsync(device), Ct)));

        var opks = claims.Where(c => c.OneTimePrekey is not null).Select(c => c.OneTimePrekey!.Id).ToList();
        var pqopks = claims.Where(c => !c.LastResort).Select(c => c.PqPrekey.Id).ToList();
        Assert.Equal(ids, opks.Order());
        Assert.Equal(ids, pqopks.Order());
        Assert.Equal(8, claims.Count(c => c.OneTimePrekey is null));
        Assert.All(claims.Where(c => c.LastResort), c => Assert.Equal(LastResortId, c.PqPrekey.Id));
        Assert.Equal(new PrekeyCounts(true, true, 0, 0), await Stores.Prekeys.CountAsync(device, Ct));
    }

    [Fact]
    public async Task PrekeyUpload_SameIdsAndKeysAgain_SkipsThemAsARetry()
    {
        var device = Guid.NewGuid();
        var upload = Upload(device, Spk(1), Kem(LastResortId), [Opk(1), Opk(2)], [Kem(1)]);
        await UploadStoredAsync(upload);

        await UploadStoredAsync(upload with { OneTimePrekeys = [.. upload.OneTimePrekeys, Opk(3)] });

        Assert.Equal(new PrekeyCounts(true, true, 3, 1), await Stores.Prekeys.CountAsync(device, Ct));
    }

    [Fact]
    public async Task PrekeyUpload_StoredIdWithAnotherKey_IsConflictAndChangesNothing()
    {
        var device = Guid.NewGuid();
        var spk = Spk(1);
        await UploadStoredAsync(Upload(device, spk, Kem(LastResortId), [Opk(1)], [Kem(1)]));

        var x25519 = await Stores.Prekeys.UploadAsync(Upload(device, Spk(2), Kem(2), [Opk(2), Opk(1)]), MaxPerKind, Ct);
        var kem = await Stores.Prekeys.UploadAsync(Upload(device, Spk(2), kem: [Kem(1)]), MaxPerKind, Ct);

        Assert.Equal(PrekeyUploadStatus.IdConflict, x25519);
        Assert.Equal(PrekeyUploadStatus.IdConflict, kem);
        Assert.Equal(new PrekeyCounts(true, true, 1, 1), await Stores.Prekeys.CountAsync(device, Ct));
        AssertSameKey(spk, (await ClaimAsync(device)).SignedPrekey);
    }

    [Fact]
    public async Task PrekeyUpload_KemOneTimeAndLastResortSharingAnId_IsConflictAndChangesNothing()
    {
        var device = Guid.NewGuid();
        await UploadStoredAsync(Upload(device, Spk(1), Kem(LastResortId), kem: [Kem(5)]));

        var oneTimeTakesLastResortId = await Stores.Prekeys.UploadAsync(Upload(device, kem: [Kem(6), Kem(LastResortId)]), MaxPerKind, Ct);
        var lastResortTakesOneTimeId = await Stores.Prekeys.UploadAsync(Upload(device, lastResort: Kem(5)), MaxPerKind, Ct);

        Assert.Equal(PrekeyUploadStatus.IdConflict, oneTimeTakesLastResortId);
        Assert.Equal(PrekeyUploadStatus.IdConflict, lastResortTakesOneTimeId);
        Assert.Equal(new PrekeyCounts(true, true, 0, 1), await Stores.Prekeys.CountAsync(device, Ct));
        await UploadStoredAsync(Upload(device, lastResort: Kem(7), kem: [Kem(LastResortId)]));
        var claimed = new List<uint>();
        for (var i = 0; i < 3; i++)
        {
            claimed.Add((await ClaimAsync(device)).PqPrekey.Id);
        }

        Assert.Equal(Ids(5, LastResortId, 7), claimed);
    }

    [Fact]
    public async Task PrekeyUpload_BeyondTheMaximum_IsTooManyAndChangesNothing()
    {
        var device = Guid.NewGuid();
        StoredPrekey[] stored = [Opk(1), Opk(2)];
        await UploadStoredAsync(Upload(device, Spk(1), Kem(LastResortId), stored, [Kem(1)]), max: 3);

        var tooMany = await Stores.Prekeys.UploadAsync(Upload(device, Spk(2), oneTime: [Opk(3), Opk(4)], kem: [Kem(2)]), 3, Ct);
        var retryFits = await Stores.Prekeys.UploadAsync(Upload(device, oneTime: [.. stored, Opk(3)]), 3, Ct);

        Assert.Equal(PrekeyUploadStatus.TooMany, tooMany);
        Assert.Equal(PrekeyUploadStatus.Stored, retryFits);
        Assert.Equal(new PrekeyCounts(true, true, 3, 1), await Stores.Prekeys.CountAsync(device, Ct));
        Assert.Equal(1u, (await ClaimAsync(device)).SignedPrekey.Id);
    }

    [Fact]
    public async Task PrekeyClaim_OtherDevice_SeesAndTakesOnlyItsOwnKeys()
    {
        var (phone, laptop) = (Guid.NewGuid(), Guid.NewGuid());
        await UploadStoredAsync(Upload(phone, Spk(1), Kem(LastResortId), [Opk(1)], [Kem(1)]));
        await UploadStoredAsync(Upload(laptop, Spk(1), Kem(LastResortId), [Opk(1), Opk(2)], [Kem(1), Kem(2)]));

        await ClaimAsync(phone);
        await ClaimAsync(phone);

        Assert.Equal(new PrekeyCounts(true, true, 0, 0), await Stores.Prekeys.CountAsync(phone, Ct));
        Assert.Equal(new PrekeyCounts(true, true, 2, 2), await Stores.Prekeys.CountAsync(laptop, Ct));
    }

    [Fact]
    public async Task PrekeyDeleteDevice_WithKeys_RemovesAllOfItsKeysOnly()
    {
        var (revoked, kept) = (Guid.NewGuid(), Guid.NewGuid());
        await UploadStoredAsync(Upload(revoked, Spk(1), Kem(LastResortId), [Opk(1)], [Kem(1)]));
        await UploadStoredAsync(Upload(kept, Spk(1), Kem(LastResortId), [Opk(1)], [Kem(1)]));

        await Stores.Prekeys.DeleteDeviceAsync(revoked, Ct);
        await Stores.Prekeys.DeleteDeviceAsync(revoked, Ct);

        Assert.Null(await Stores.Prekeys.ClaimAsync(revoked, Ct));
        Assert.Equal(new PrekeyCounts(false, false, 0, 0), await Stores.Prekeys.CountAsync(revoked, Ct));
        Assert.Equal(new PrekeyCounts(true, true, 1, 1), await Stores.Prekeys.CountAsync(kept, Ct));
    }

    private static void AssertSameKey(StoredPrekey expected, StoredPrekey? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.PublicKey, actual.PublicKey);
        Assert.Equal(expected.Signature, actual.Signature);
    }
}
