using System.Net;
using Messaging.Contracts;
using Messaging.Server.Features.Keys;
using Messaging.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using DeviceIdentity = Messaging.Protocol.Keys.DeviceIdentity;
using PrekeySignature = Messaging.Protocol.Keys.PrekeySignature;

namespace Messaging.Server.Tests.Features.Keys;

/// <summary>The key directory through real Kestrel: bundle fetches, who may fetch, the rate limit and the low-prekeys push.</summary>
public sealed partial class KeyDirectoryTests : IAsyncLifetime
{
    private KeyDirectoryHarness directory = null!;

    public async ValueTask InitializeAsync() => directory = await KeyDirectoryHarness.StartAsync();

    public async ValueTask DisposeAsync() => await directory.DisposeAsync();

    [Fact]
    public async Task FetchBundles_ConversationPartner_GetsVerifiableBundlesConsumingOneTimePrekeys()
    {
        var (alice, bob) = (await directory.DeviceAsync(), await directory.DeviceAsync());
        await directory.Scenario.ConversationAsync(alice.Person, bob.Person);
        await directory.UploadOkAsync(bob, bob.Keys.Upload(oneTime: 1, kemOneTime: 1, firstId: 40));

        var first = Assert.Single((await directory.FetchOkAsync(alice, bob.Person.AccountId)).Bundles);
        var second = Assert.Single((await directory.FetchOkAsync(alice, bob.Person.AccountId)).Bundles);

        Assert.Equal(bob.DeviceId, first.DeviceId);
        Assert.Equal(bob.Keys.Encoded, first.Identity);
        var identity = DeviceIdentity.Parse(first.Identity);
        Assert.True(PrekeySignature.VerifySignedPrekey(identity, first.SignedPrekey.Id, first.SignedPrekey.PublicKey, first.SignedPrekey.Signature));
        Assert.True(PrekeySignature.VerifyKemPrekey(identity, first.PqPrekey.Id, first.PqPrekey.PublicKey, first.PqPrekey.Signature));
        Assert.True(PrekeySignature.VerifyKemPrekey(identity, second.PqPrekey.Id, second.PqPrekey.PublicKey, second.PqPrekey.Signature));
        Assert.Equal((40u, 40u, false), (first.OneTimePrekey?.Id ?? 0, first.PqPrekey.Id, first.PqPrekey.LastResort));
        Assert.Null(second.OneTimePrekey);
        Assert.Equal((TestIdentity.LastResortId, true), (second.PqPrekey.Id, second.PqPrekey.LastResort));
        var status = await directory.StatusOkAsync(bob);
        Assert.Equal((0, 0, true, true), (status.OneTimePrekeys, status.KemOneTimePrekeys, status.HasSignedPrekey, status.HasKemLastResortPrekey));
    }

    [Fact]
    public async Task FetchBundles_OwnAccount_ReturnsOtherDevicesWithKeysOnly()
    {
        var phone = await directory.DeviceAsync();
        var laptop = await directory.DeviceAsync(phone.Person);
        var tablet = await directory.DeviceAsync(phone.Person);
        var noLastResort = await directory.DeviceAsync(phone.Person);
        await directory.UploadOkAsync(phone, phone.Keys.Upload(oneTime: 2));
        await directory.UploadOkAsync(laptop, laptop.Keys.Upload(kemOneTime: 2));
        await directory.UploadOkAsync(noLastResort, new UploadPrekeysRequest(noLastResort.Keys.SignedPrekey(1), null, [], []));

        var bundles = await directory.FetchOkAsync(phone, phone.Person.AccountId);

        Assert.Equal(phone.Person.AccountId, bundles.AccountId);
        Assert.Equal([laptop.DeviceId], bundles.Bundles.Select(b => b.DeviceId));
        Assert.DoesNotContain(bundles.Bundles, b => b.DeviceId == tablet.DeviceId);
    }

    [Fact]
    public async Task FetchBundles_Stranger_IsNotFoundAuditedAndConsumesNothing()
    {
        var (bob, eve) = (await directory.DeviceAsync(), await directory.DeviceAsync());
        await directory.UploadOkAsync(bob, bob.Keys.Upload(oneTime: 1, kemOneTime: 1));

        using var response = await directory.FetchAsync(eve.Token, bob.Person.AccountId);
        using var unknown = await directory.FetchAsync(eve.Token, Guid.NewGuid());

        await KeyDirectoryHarness.AssertProblemAsync(response, HttpStatusCode.NotFound, ErrorCodes.NotFound);
        await KeyDirectoryHarness.AssertProblemAsync(unknown, HttpStatusCode.NotFound, ErrorCodes.NotFound);
        await directory.AssertAuditedAsync(eve, ErrorCodes.NotFound, bob.Person.AccountId.ToString());
        Assert.Equal(1, (await directory.StatusOkAsync(bob)).OneTimePrekeys);
    }

    [Fact]
    public async Task FetchBundles_WithAccountToken_IsDeviceRequired()
    {
        var bob = await directory.DeviceAsync();

        using var response = await directory.FetchAsync(bob.Person.Token, bob.Person.AccountId);

        await KeyDirectoryHarness.AssertProblemAsync(response, HttpStatusCode.Forbidden, ErrorCodes.DeviceRequired);
    }

    [Fact]
    public async Task FetchBundles_RevokedDevice_IsNotServedAndItsKeysAreDeleted()
    {
        var (alice, bob) = (await directory.DeviceAsync(), await directory.DeviceAsync());
        await directory.Scenario.ConversationAsync(alice.Person, bob.Person);
        await directory.UploadOkAsync(bob, bob.Keys.Upload(oneTime: 3, kemOneTime: 3));

        await directory.Scenario.Api.DeleteDeviceAsync(bob.Person.Token, bob.DeviceId);

        Assert.Empty((await directory.FetchOkAsync(alice, bob.Person.AccountId)).Bundles);
        Assert.Equal(new PrekeyCounts(false, false, 0, 0), await directory.Server.Get<IPrekeyStore>().CountAsync(bob.DeviceId, CancellationToken.None));
    }

    [Fact]
    public async Task FetchBundles_BeyondTheConfiguredLimit_Is429RateLimitedAndAuditedPerDevice()
    {
        await using var limited = await KeyDirectoryHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Messaging:RateLimits:BundleFetchesPerMinute"] = "3",
        });
        var (alice, bob) = (await limited.DeviceAsync(), await limited.DeviceAsync());
        var aliceLaptop = await limited.DeviceAsync(alice.Person);
        await limited.Scenario.ConversationAsync(alice.Person, bob.Person);
        for (var i = 0; i < 3; i++)
        {
            await limited.FetchOkAsync(alice, bob.Person.AccountId);
        }

        using var refused = await limited.FetchAsync(alice.Token, bob.Person.AccountId);

        await KeyDirectoryHarness.AssertProblemAsync(refused, (HttpStatusCode)429, ErrorCodes.RateLimited);
        Assert.True(refused.Headers.RetryAfter is not null, "A refusal says when to retry.");
        await limited.AssertAuditedAsync(alice, ErrorCodes.RateLimited, bob.Person.AccountId.ToString());
        await limited.FetchOkAsync(aliceLaptop, bob.Person.AccountId);
    }

    [Fact]
    public async Task FetchBundles_LeavingFewerThanTenOneTimePrekeys_PushesPrekeysLowToTheDevice()
    {
        var (alice, bob) = (await directory.DeviceAsync(), await directory.DeviceAsync());
        await directory.Scenario.ConversationAsync(alice.Person, bob.Person);
        await directory.UploadOkAsync(bob, bob.Keys.Upload(oneTime: KeyDirectoryService.LowWaterMark + 1, kemOneTime: 20));
        await using var hub = await RawHub.ConnectForPushesAsync(directory.Server.BaseAddress, bob.Token);
        var warned = new TaskCompletionSource<PrekeyStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.On<PrekeyStatus>(HubMethods.PrekeysLow, status => warned.TrySetResult(status));

        await directory.FetchOkAsync(alice, bob.Person.AccountId);
        await directory.FetchOkAsync(alice, bob.Person.AccountId);

        // The first fetch left ten of each: no warning. The second left nine X25519 one-time prekeys.
        var status = await warned.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal((bob.DeviceId, 9, 18, true, true), (status.DeviceId, status.OneTimePrekeys, status.KemOneTimePrekeys, status.HasSignedPrekey, status.HasKemLastResortPrekey));
    }
}
