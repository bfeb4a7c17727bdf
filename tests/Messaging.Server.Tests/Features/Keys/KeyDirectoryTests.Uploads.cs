using System.Net;
using Messaging.Contracts;
using Messaging.Server.Storage.Sqlite;
using Messaging.Testing;

namespace Messaging.Server.Tests.Features.Keys;

/// <summary>Uploads and the status: every signature checked, all or nothing, only the device itself.</summary>
public sealed partial class KeyDirectoryTests
{
    [Fact]
    public async Task Upload_ForgedOrMalformedItem_IsRejectedNamingTheKindAuditedAndStoresNothing()
    {
        var bob = await directory.DeviceAsync();
        var mallory = TestIdentities.NewIdentity();
        var good = bob.Keys.Upload(oneTime: 3, kemOneTime: 3);
        var kem = bob.Keys.KemPrekey(1);
        var flipped = kem with { Signature = [(byte)(kem.Signature[0] ^ 1), .. kem.Signature[1..]] };
        (UploadPrekeysRequest Request, string Kind)[] forgeries =
        [
            (good with { SignedPrekey = mallory.SignedPrekey(1) }, "signed prekey"),
            (good with { KemLastResortPrekey = flipped }, "last-resort KEM prekey"),
            (good with { KemOneTimePrekeys = [.. good.KemOneTimePrekeys!, mallory.KemPrekey(9)] }, "KEM one-time prekey"),
            (good with { KemOneTimePrekeys = [.. good.KemOneTimePrekeys!, bob.Keys.SignedPrekey(9)] }, "KEM one-time prekey"),
            (good with { OneTimePrekeys = [.. good.OneTimePrekeys!, new OneTimePrekeyInfo(9, new byte[31])] }, "one-time prekey"),
            (good with { OneTimePrekeys = [.. good.OneTimePrekeys!, TestIdentity.OneTimePrekey(uint.MaxValue)] }, "one-time prekey"),
            (good with { SignedPrekey = bob.Keys.SignedPrekey(uint.MaxValue) }, "signed prekey"),
            (good with { KemOneTimePrekeys = [bob.Keys.KemPrekey(TestIdentity.LastResortId)] }, "last-resort KEM prekey's id"),
        ];

        foreach (var (request, kind) in forgeries)
        {
            using var response = await directory.UploadAsync(bob, request);
            var detail = await KeyDirectoryHarness.AssertProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest);
            Assert.Contains(kind, detail, StringComparison.Ordinal);
        }

        await directory.AssertAuditedAsync(bob, ErrorCodes.InvalidRequest, bob.DeviceId.ToString());
        var status = await directory.StatusOkAsync(bob);
        Assert.Equal((0, 0, false, false), (status.OneTimePrekeys, status.KemOneTimePrekeys, status.HasSignedPrekey, status.HasKemLastResortPrekey));
    }

    [Fact]
    public async Task Upload_ForAnotherDevice_IsForbiddenAuditedAndStoresNothing()
    {
        var alice = await directory.DeviceAsync();
        var laptop = await directory.DeviceAsync(alice.Person);
        var bob = await directory.DeviceAsync();

        foreach (var target in new[] { laptop, bob })
        {
            using var upload = await directory.UploadAsync(alice, target.Keys.Upload(oneTime: 1, kemOneTime: 1), target.DeviceId);
            using var status = await directory.StatusAsync(alice, target.DeviceId);
            await KeyDirectoryHarness.AssertProblemAsync(upload, HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
            await KeyDirectoryHarness.AssertProblemAsync(status, HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
            await directory.AssertAuditedAsync(alice, ErrorCodes.Forbidden, target.DeviceId.ToString());
            Assert.False((await directory.StatusOkAsync(target)).HasSignedPrekey);
        }
    }

    [Fact]
    public async Task Upload_SignedAndLastResortAgain_ReplacesThemAndAddsOneTimePrekeys()
    {
        var (alice, bob) = (await directory.DeviceAsync(), await directory.DeviceAsync());
        await directory.Scenario.ConversationAsync(alice.Person, bob.Person);
        await directory.UploadOkAsync(bob, bob.Keys.Upload(oneTime: 2, kemOneTime: 2));
        var rotated = bob.Keys.SignedPrekey(2);

        var status = await directory.UploadOkAsync(bob, new UploadPrekeysRequest(rotated, null, [TestIdentity.OneTimePrekey(3)], null));

        Assert.Equal((3, 2), (status.OneTimePrekeys, status.KemOneTimePrekeys));
        var bundle = Assert.Single((await directory.FetchOkAsync(alice, bob.Person.AccountId)).Bundles);
        Assert.Equal(rotated.PublicKey, bundle.SignedPrekey.PublicKey);
    }

    [Fact]
    public async Task Upload_RetriedOrReusingAnId_IsIdempotentOrConflict()
    {
        var bob = await directory.DeviceAsync();
        var upload = bob.Keys.Upload(oneTime: 2, kemOneTime: 2);
        await directory.UploadOkAsync(bob, upload);

        var retried = await directory.UploadOkAsync(bob, upload);
        using var reused = await directory.UploadAsync(bob, new UploadPrekeysRequest(null, null, [TestIdentity.OneTimePrekey(1)], null));
        using var twice = await directory.UploadAsync(bob, new UploadPrekeysRequest(null, null, [TestIdentity.OneTimePrekey(7), TestIdentity.OneTimePrekey(7)], null));

        Assert.Equal((2, 2), (retried.OneTimePrekeys, retried.KemOneTimePrekeys));
        await KeyDirectoryHarness.AssertProblemAsync(reused, HttpStatusCode.Conflict, ErrorCodes.Conflict);
        await KeyDirectoryHarness.AssertProblemAsync(twice, HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest);
        Assert.Equal(2, (await directory.StatusOkAsync(bob)).OneTimePrekeys);
    }

    [Fact]
    public async Task Upload_TooManyPerCallOrStored_IsRefusedAndStoresNothing()
    {
        var bob = await directory.DeviceAsync();
        using var perCall = await directory.UploadAsync(bob, bob.Keys.Upload(oneTime: 101));
        await KeyDirectoryHarness.AssertProblemAsync(perCall, HttpStatusCode.RequestEntityTooLarge, ErrorCodes.PayloadTooLarge);
        var padded = bob.Keys.Upload(oneTime: 1) with { SignedPrekey = new SignedPrekeyInfo(1, new byte[400 * 1024], new byte[64]) };
        using var oversizedBody = await directory.UploadAsync(bob, padded);
        await KeyDirectoryHarness.AssertProblemAsync(oversizedBody, HttpStatusCode.RequestEntityTooLarge, ErrorCodes.PayloadTooLarge);
        for (var batch = 0u; batch < 10; batch++)
        {
            await directory.UploadOkAsync(bob, bob.Keys.Upload(oneTime: 100, firstId: 1 + (batch * 100), withSignedPrekeys: batch == 0));
        }

        using var stored = await directory.UploadAsync(bob, bob.Keys.Upload(oneTime: 1, firstId: 5000, withSignedPrekeys: false));

        await KeyDirectoryHarness.AssertProblemAsync(stored, HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest);
        Assert.Equal(1000, (await directory.StatusOkAsync(bob)).OneTimePrekeys);
    }

    [Fact]
    public async Task Upload_StoredRows_HoldPublicKeySizesOnly()
    {
        var bob = await directory.DeviceAsync();
        await directory.UploadOkAsync(bob, bob.Keys.Upload(oneTime: 3, kemOneTime: 3));

        var rows = await directory.Server.Get<SqliteDatabase>().ReadAsync(async connection =>
            await SqliteValues.ReadAllAsync(
                SqliteValues.Command(connection,
                    """
                    SELECT kind, length(public_key), coalesce(length(signature), 0) FROM signed_prekeys
                    UNION ALL SELECT kind, length(public_key), coalesce(length(signature), 0) FROM one_time_prekeys;
                    """),
                r => (Kind: r.GetString(0), PublicKey: r.GetInt32(1), Signature: r.GetInt32(2)),
                CancellationToken.None));

        Assert.Equal(8, rows.Count);
        Assert.All(rows, row => Assert.Equal(
            row.Kind switch
            {
                "spk" => (32, 64),
                "opk" => (32, 0),
                "pqspk" or "pqopk" => (1184, 64),
                _ => (-1, -1),
            },
            (row.PublicKey, row.Signature)));
    }
}
