using Messaging.Server.Features.Accounts;

namespace Messaging.Server.Tests.Storage;

public abstract partial class StoreContractTests
{
    private protected static Account NewAccount(string login, string role = "doctor") =>
        new(Guid.NewGuid(), Bytes("index:" + login), "hash:" + login, role, T0.AddMinutes(login.Length));

    private static void AssertSameAccount(Account expected, Account? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.LoginIndex, actual.LoginIndex);
        Assert.Equal(expected.PasswordHash, actual.PasswordHash);
        Assert.Equal(expected.Role, actual.Role);
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
        Assert.Equal(TimeSpan.Zero, actual.CreatedAt.Offset);
    }

    [Fact]
    public async Task AccountTryCreate_NewAccount_ReturnsTrueAndFindReturnsIt()
    {
        var account = NewAccount("alice", "secretary");

        Assert.True(await Stores.Accounts.TryCreateAsync(account, Ct));

        AssertSameAccount(account, await Stores.Accounts.FindAsync(account.Id, Ct));
    }

    [Fact]
    public async Task AccountFind_UnknownId_ReturnsNull()
    {
        Assert.True(await Stores.Accounts.TryCreateAsync(NewAccount("alice"), Ct));

        Assert.Null(await Stores.Accounts.FindAsync(Guid.NewGuid(), Ct));
    }

    [Fact]
    public async Task AccountFindByLoginIndex_KnownIndex_ReturnsThatAccount()
    {
        var alice = NewAccount("alice");
        var bob = NewAccount("bob");
        Assert.True(await Stores.Accounts.TryCreateAsync(alice, Ct));
        Assert.True(await Stores.Accounts.TryCreateAsync(bob, Ct));

        AssertSameAccount(bob, await Stores.Accounts.FindByLoginIndexAsync(Bytes("index:bob"), Ct));
        Assert.Null(await Stores.Accounts.FindByLoginIndexAsync(Bytes("index:carol"), Ct));
    }

    [Fact]
    public async Task AccountTryCreate_DuplicateLoginIndex_ReturnsFalseAndKeepsFirst()
    {
        var first = NewAccount("alice");
        var second = first with { Id = Guid.NewGuid(), PasswordHash = "other", Role = "patient" };
        Assert.True(await Stores.Accounts.TryCreateAsync(first, Ct));

        Assert.False(await Stores.Accounts.TryCreateAsync(second, Ct));

        Assert.Null(await Stores.Accounts.FindAsync(second.Id, Ct));
        AssertSameAccount(first, await Stores.Accounts.FindByLoginIndexAsync(first.LoginIndex, Ct));
    }

    [Fact]
    public async Task AccountFindMany_SomeIdsUnknown_ReturnsOnlyExistingAccounts()
    {
        var alice = NewAccount("alice");
        var bob = NewAccount("bob");
        var carol = NewAccount("carol");
        foreach (var account in new[] { alice, bob, carol })
        {
            Assert.True(await Stores.Accounts.TryCreateAsync(account, Ct));
        }

        var found = await Stores.Accounts.FindManyAsync([alice.Id, Guid.NewGuid(), carol.Id], Ct);

        Assert.Equal(new[] { alice.Id, carol.Id }.Order(), found.Select(a => a.Id).Order());
        AssertSameAccount(carol, found.Single(a => a.Id == carol.Id));
    }

    [Fact]
    public async Task AccountFindMany_NoIds_ReturnsEmpty()
    {
        Assert.True(await Stores.Accounts.TryCreateAsync(NewAccount("alice"), Ct));

        Assert.Empty(await Stores.Accounts.FindManyAsync([], Ct));
    }
}
