using Messaging.Server.Features.Devices;

namespace Messaging.Server.Tests.Storage;

public abstract partial class StoreContractTests
{
    /// <summary>Creates an account (SQLite requires a device's account to exist) and returns its id.</summary>
    private async Task<Guid> NewAccountIdAsync(string login)
    {
        var account = NewAccount(login);
        Assert.True(await Stores.Accounts.TryCreateAsync(account, Ct));
        return account.Id;
    }

    private async Task<Device> AddDeviceAsync(Guid accountId, DateTimeOffset createdAt)
    {
        var device = new Device(Guid.NewGuid(), accountId, Bytes("identity:" + Guid.NewGuid()), createdAt, null);
        await Stores.Devices.AddAsync(device, Ct);
        return device;
    }

    [Fact]
    public async Task DeviceAdd_NewDevice_FindReturnsIt()
    {
        var device = await AddDeviceAsync(await NewAccountIdAsync("alice"), T0.AddSeconds(3));

        var found = await Stores.Devices.FindAsync(device.Id, Ct);

        Assert.NotNull(found);
        Assert.Equal(device.AccountId, found.AccountId);
        Assert.Equal(device.Identity, found.Identity);
        Assert.Equal(device.CreatedAt, found.CreatedAt);
        Assert.Null(found.RevokedAt);
        Assert.True(found.IsActive);
        Assert.Null(await Stores.Devices.FindAsync(Guid.NewGuid(), Ct));
    }

    [Fact]
    public async Task DeviceListActive_SeveralAccounts_ReturnsTheirActiveDevicesOldestFirst()
    {
        var alice = await NewAccountIdAsync("alice");
        var bob = await NewAccountIdAsync("bob");
        var carol = await NewAccountIdAsync("carol");
        var bobPhone = await AddDeviceAsync(bob, T0.AddSeconds(2));
        var alicePhone = await AddDeviceAsync(alice, T0.AddSeconds(1));
        var aliceLaptop = await AddDeviceAsync(alice, T0.AddSeconds(3));
        await AddDeviceAsync(carol, T0);

        var active = await Stores.Devices.ListActiveAsync([alice, bob], Ct);

        Assert.Equal([alicePhone.Id, bobPhone.Id, aliceLaptop.Id], active.Select(d => d.Id));
        Assert.Empty(await Stores.Devices.ListActiveAsync([], Ct));
    }

    [Fact]
    public async Task DeviceListActive_RevokedDevice_IsExcluded()
    {
        var alice = await NewAccountIdAsync("alice");
        var phone = await AddDeviceAsync(alice, T0);
        var laptop = await AddDeviceAsync(alice, T0.AddSeconds(1));

        Assert.True(await Stores.Devices.RevokeAsync(phone.Id, T0.AddHours(1), Ct));

        Assert.Equal([laptop.Id], (await Stores.Devices.ListActiveAsync([alice], Ct)).Select(d => d.Id));
    }

    [Fact]
    public async Task DeviceRevoke_ActiveDevice_ReturnsTrueAndRecordsTime()
    {
        var phone = await AddDeviceAsync(await NewAccountIdAsync("alice"), T0);

        Assert.True(await Stores.Devices.RevokeAsync(phone.Id, T0.AddHours(1), Ct));

        var found = await Stores.Devices.FindAsync(phone.Id, Ct);
        Assert.NotNull(found);
        Assert.Equal(T0.AddHours(1), found.RevokedAt);
        Assert.False(found.IsActive);
    }

    [Fact]
    public async Task DeviceRevoke_Twice_SecondReturnsFalseAndKeepsFirstTime()
    {
        var phone = await AddDeviceAsync(await NewAccountIdAsync("alice"), T0);
        Assert.True(await Stores.Devices.RevokeAsync(phone.Id, T0.AddHours(1), Ct));

        Assert.False(await Stores.Devices.RevokeAsync(phone.Id, T0.AddHours(2), Ct));

        Assert.Equal(T0.AddHours(1), (await Stores.Devices.FindAsync(phone.Id, Ct))?.RevokedAt);
    }

    [Fact]
    public async Task DeviceRevoke_UnknownDevice_ReturnsFalse()
    {
        await AddDeviceAsync(await NewAccountIdAsync("alice"), T0);

        Assert.False(await Stores.Devices.RevokeAsync(Guid.NewGuid(), T0, Ct));
    }
}
