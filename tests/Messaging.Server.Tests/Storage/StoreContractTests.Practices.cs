using Messaging.Contracts;
using Messaging.Server.Features.Practices;

namespace Messaging.Server.Tests.Storage;

public abstract partial class StoreContractTests
{
    private async Task<Membership> AddMembershipAsync(Guid practiceId, Guid accountId, string role, DateTimeOffset since)
    {
        var membership = new Membership(practiceId, accountId, role, since);
        Assert.True(await Stores.Practices.AddMembershipAsync(membership, Ct));
        return membership;
    }

    [Fact]
    public async Task PracticeCreate_NewPractice_FindReturnsItAndUnknownReturnsNull()
    {
        var practice = new Practice(Guid.NewGuid(), "Cabinet médical des Lilas", T0.AddMinutes(3));

        await Stores.Practices.CreateAsync(practice, Ct);

        var found = await Stores.Practices.FindAsync(practice.Id, Ct);
        Assert.Equal(practice, found);
        Assert.Equal(TimeSpan.Zero, found!.CreatedAt.Offset);
        Assert.Null(await Stores.Practices.FindAsync(Guid.NewGuid(), Ct));
    }

    [Fact]
    public async Task PracticeCreate_SameIdTwice_ThrowsAndKeepsFirst()
    {
        var practice = new Practice(Guid.NewGuid(), "Cabinet A", T0);
        await Stores.Practices.CreateAsync(practice, Ct);

        await Assert.ThrowsAnyAsync<Exception>(() => Stores.Practices.CreateAsync(practice with { Name = "Cabinet B" }, Ct));

        Assert.Equal(practice, await Stores.Practices.FindAsync(practice.Id, Ct));
    }

    [Fact]
    public async Task PracticeAddMembership_SameRoleTwice_ReturnsFalseAndKeepsFirst()
    {
        var (practice, account) = (Guid.NewGuid(), Guid.NewGuid());
        var first = await AddMembershipAsync(practice, account, Roles.Doctor, T0);

        Assert.False(await Stores.Practices.AddMembershipAsync(first with { Since = T0.AddDays(1) }, Ct));

        Assert.Equal([first], await Stores.Practices.ListForPracticeAsync(practice, Ct));
    }

    [Fact]
    public async Task PracticeListForAccounts_SeveralRolesAndPractices_ReturnsEveryRoleOldestFirst()
    {
        var (cabinet, clinic, other) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var (admin, secretary, stranger) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var adminIsDoctor = await AddMembershipAsync(cabinet, admin, Roles.Doctor, T0.AddMinutes(2));
        var adminIsAdmin = await AddMembershipAsync(cabinet, admin, Roles.Admin, T0.AddMinutes(1));
        var servesCabinet = await AddMembershipAsync(cabinet, secretary, Roles.Secretary, T0.AddMinutes(3));
        var servesClinic = await AddMembershipAsync(clinic, secretary, Roles.Secretary, T0.AddMinutes(4));
        var servesOther = await AddMembershipAsync(other, secretary, Roles.Secretary, T0.AddMinutes(5));
        await AddMembershipAsync(other, stranger, Roles.Patient, T0);

        Assert.Equal([adminIsAdmin, adminIsDoctor], await Stores.Practices.ListForAccountsAsync([admin], Ct));
        Assert.Equal([servesCabinet, servesClinic, servesOther], await Stores.Practices.ListForAccountsAsync([secretary], Ct));
        Assert.Equal(
            [adminIsAdmin, adminIsDoctor, servesCabinet, servesClinic, servesOther],
            await Stores.Practices.ListForAccountsAsync([secretary, Guid.NewGuid(), admin], Ct));
        Assert.Equal([adminIsAdmin, adminIsDoctor, servesCabinet], await Stores.Practices.ListForPracticeAsync(cabinet, Ct));
        Assert.Empty(await Stores.Practices.ListForAccountsAsync([], Ct));
        Assert.Empty(await Stores.Practices.ListForAccountsAsync([Guid.NewGuid()], Ct));
        Assert.Empty(await Stores.Practices.ListForPracticeAsync(Guid.NewGuid(), Ct));
        Assert.Equal(TimeSpan.Zero, (await Stores.Practices.ListForPracticeAsync(clinic, Ct)).Single().Since.Offset);
    }

    [Fact]
    public async Task PracticeRemoveMemberships_AccountWithSeveralRoles_RemovesAllItsRolesInThatPracticeOnly()
    {
        var (cabinet, clinic) = (Guid.NewGuid(), Guid.NewGuid());
        var (admin, colleague) = (Guid.NewGuid(), Guid.NewGuid());
        await AddMembershipAsync(cabinet, admin, Roles.Admin, T0);
        await AddMembershipAsync(cabinet, admin, Roles.Doctor, T0.AddMinutes(1));
        var elsewhere = await AddMembershipAsync(clinic, admin, Roles.Doctor, T0.AddMinutes(2));
        var colleagueStays = await AddMembershipAsync(cabinet, colleague, Roles.Doctor, T0.AddMinutes(3));

        Assert.Equal(2, await Stores.Practices.RemoveMembershipsAsync(cabinet, admin, Ct));

        Assert.Equal([elsewhere], await Stores.Practices.ListForAccountsAsync([admin], Ct));
        Assert.Equal([colleagueStays], await Stores.Practices.ListForPracticeAsync(cabinet, Ct));
        Assert.Equal(0, await Stores.Practices.RemoveMembershipsAsync(cabinet, admin, Ct));
        Assert.Equal(0, await Stores.Practices.RemoveMembershipsAsync(Guid.NewGuid(), colleague, Ct));
        Assert.True(await Stores.Practices.AddMembershipAsync(new Membership(cabinet, admin, Roles.Admin, T0.AddDays(1)), Ct));
    }
}
