using Messaging.Contracts;
using Messaging.Server.Features.Accounts;

namespace Messaging.Server.Tests.Storage;

public abstract partial class StoreContractTests
{
    private protected static Account NewAccount(string login, string kind = Roles.Staff) =>
        new(Guid.NewGuid(), Bytes("index:" + login), "hash:" + login, kind, T0.AddMinutes(login.Length));

    private static void AssertSameAccount(Account expected, Account? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.LoginIndex, actual.LoginIndex);
        Assert.Equal(expected.PasswordHash, actual.PasswordHash);
        Assert.Equal(expected.Kind, actual.Kind);
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
        Assert.Equal(TimeSpan.Zero, actual.CreatedAt.Offset);
        Assert.Equal(expected.EmailIndex, actual.EmailIndex);
        Assert.Equal(expected.Profile, actual.Profile);
        Assert.Equal(expected.Language, actual.Language);
        Assert.Equal(expected.Consent, actual.Consent);
    }

    [Fact]
    public async Task AccountTryCreate_NewAccount_ReturnsTrueAndFindReturnsIt()
    {
        var account = NewAccount("alice", Roles.Operator);

        Assert.True(await Stores.Accounts.TryCreateAsync(account, Ct));

        var found = await Stores.Accounts.FindAsync(account.Id, Ct);
        AssertSameAccount(account, found);
        Assert.Null(found!.EmailIndex);
        Assert.Null(found.Profile);
        Assert.Equal("fr", found.Language);
        Assert.Null(found.Consent);
    }

    [Fact]
    public async Task AccountTryCreate_EveryDetail_RoundTrips()
    {
        var account = NewAccount("patient", Roles.Patient) with
        {
            EmailIndex = Bytes("email:patient"),
            Profile = [0, 1, 2, 255, 0],
            Language = "en",
            Consent = new Consent("terms-2030-01", T0.AddDays(-2), T0.AddDays(-1)),
        };

        Assert.True(await Stores.Accounts.TryCreateAsync(account, Ct));

        var found = await Stores.Accounts.FindAsync(account.Id, Ct);
        AssertSameAccount(account, found);
        Assert.False(found!.HasActiveConsent);
        AssertSameAccount(account, (await Stores.Accounts.FindManyAsync([account.Id], Ct)).Single());
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
        var second = first with { Id = Guid.NewGuid(), PasswordHash = "other", Kind = Roles.Patient };
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

    [Fact]
    public async Task AccountFindByEmailIndex_KnownIndex_ReturnsThatAccountAndUnknownReturnsNull()
    {
        var alice = NewAccount("alice", Roles.Patient) with { EmailIndex = Bytes("email:alice") };
        var bob = NewAccount("bob", Roles.Patient) with { EmailIndex = Bytes("email:bob") };
        var noEmail = NewAccount("carol");
        foreach (var account in new[] { alice, bob, noEmail })
        {
            Assert.True(await Stores.Accounts.TryCreateAsync(account, Ct));
        }

        AssertSameAccount(bob, await Stores.Accounts.FindByEmailIndexAsync(Bytes("email:bob"), Ct));
        Assert.Null(await Stores.Accounts.FindByEmailIndexAsync(Bytes("email:dave"), Ct));
        Assert.Null(await Stores.Accounts.FindByEmailIndexAsync(Bytes("index:alice"), Ct));
    }

    [Fact]
    public async Task AccountTryCreate_TwoAccountsWithoutEmailIndex_BothCreated()
    {
        var alice = NewAccount("alice");
        var bob = NewAccount("bob");

        Assert.True(await Stores.Accounts.TryCreateAsync(alice, Ct));
        Assert.True(await Stores.Accounts.TryCreateAsync(bob, Ct));

        AssertSameAccount(alice, await Stores.Accounts.FindAsync(alice.Id, Ct));
        AssertSameAccount(bob, await Stores.Accounts.FindAsync(bob.Id, Ct));
    }

    [Fact]
    public async Task AccountTryCreate_DuplicateEmailIndex_ReturnsFalseAndKeepsFirst()
    {
        var first = NewAccount("alice", Roles.Patient) with { EmailIndex = Bytes("email:shared") };
        var second = NewAccount("bob", Roles.Patient) with { EmailIndex = Bytes("email:shared") };
        Assert.True(await Stores.Accounts.TryCreateAsync(first, Ct));

        Assert.False(await Stores.Accounts.TryCreateAsync(second, Ct));

        Assert.Null(await Stores.Accounts.FindAsync(second.Id, Ct));
        Assert.Null(await Stores.Accounts.FindByLoginIndexAsync(second.LoginIndex, Ct));
        AssertSameAccount(first, await Stores.Accounts.FindByEmailIndexAsync(Bytes("email:shared"), Ct));
    }

    [Fact]
    public async Task AccountUpdatePassword_KnownAccount_ChangesOnlyTheHash()
    {
        var alice = NewAccount("alice") with { EmailIndex = Bytes("email:alice"), Language = "en" };
        Assert.True(await Stores.Accounts.TryCreateAsync(alice, Ct));

        Assert.True(await Stores.Accounts.UpdatePasswordAsync(alice.Id, "hash:new", Ct));
        Assert.True(await Stores.Accounts.UpdatePasswordAsync(alice.Id, "hash:new", Ct));

        AssertSameAccount(alice with { PasswordHash = "hash:new" }, await Stores.Accounts.FindAsync(alice.Id, Ct));
    }

    [Fact]
    public async Task AccountUpdatePassword_UnknownAccount_ReturnsFalse()
    {
        Assert.True(await Stores.Accounts.TryCreateAsync(NewAccount("alice"), Ct));

        Assert.False(await Stores.Accounts.UpdatePasswordAsync(Guid.NewGuid(), "hash:new", Ct));
    }

    [Fact]
    public async Task AccountSetConsent_GivenThenWithdrawn_RoundTripsEachTime()
    {
        var patient = NewAccount("patient", Roles.Patient);
        Assert.True(await Stores.Accounts.TryCreateAsync(patient, Ct));
        var given = new Consent("terms-v1", T0.AddHours(1), null);

        await Stores.Accounts.SetConsentAsync(patient.Id, given, Ct);
        var afterGiven = await Stores.Accounts.FindAsync(patient.Id, Ct);
        await Stores.Accounts.SetConsentAsync(patient.Id, given with { WithdrawnAt = T0.AddHours(5) }, Ct);
        var afterWithdrawn = await Stores.Accounts.FindAsync(patient.Id, Ct);

        AssertSameAccount(patient with { Consent = given }, afterGiven);
        Assert.True(afterGiven!.HasActiveConsent);
        AssertSameAccount(patient with { Consent = new Consent("terms-v1", T0.AddHours(1), T0.AddHours(5)) }, afterWithdrawn);
        Assert.False(afterWithdrawn!.HasActiveConsent);
        Assert.Equal(TimeSpan.Zero, afterWithdrawn.Consent!.WithdrawnAt!.Value.Offset);
    }

    [Fact]
    public async Task AccountSetConsent_UnknownAccount_CreatesNothing()
    {
        var unknown = Guid.NewGuid();

        await Stores.Accounts.SetConsentAsync(unknown, new Consent("terms-v1", T0, null), Ct);

        Assert.Null(await Stores.Accounts.FindAsync(unknown, Ct));
    }
}
