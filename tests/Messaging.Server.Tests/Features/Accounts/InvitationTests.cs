using System.Net;
using System.Text;
using Messaging.Contracts;
using Messaging.Server.Features.Accounts.SecondFactor;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Practices;
using Messaging.Testing;

namespace Messaging.Server.Tests.Features.Accounts;

/// <summary>
/// Invitations: single use, expiring, stored only as a hash; a patient accepts the current terms; the email carries
/// the link and no name; a signed-in account adds a practice; a staff account cannot become a patient; an email
/// address holds one account. The server's clock is moved by hand for the expiry.
/// </summary>
public sealed class InvitationTests() : ServerTest()
{
    [Fact]
    public async Task Accept_SecondTime_IsGoneAndCreatesNoSecondAccount()
    {
        var invitation = await InviteStaffAsync();
        var first = await AcceptAsync(invitation.Token, Scenario.UniqueLogin("first"));
        var secondLogin = Scenario.UniqueLogin("second");

        var second = await AcceptAsync(invitation.Token, secondLogin);

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal((HttpStatusCode.Gone, ErrorCodes.InvitationInvalid), (second.Status, second.Code));
        var stored = await Server.Get<IInvitationStore>().FindByTokenHashAsync(TokenHash.Of(invitation.Token), Ct);
        Assert.Equal(first.Read<InvitationAccepted>().AccountId, stored!.UsedBy);
        Assert.Equal(ErrorCodes.InvalidCredentials, (await Http.CallAsync(HttpMethod.Post, Routes.Sessions, null, new LoginRequest(secondLogin, Scenario.Password))).Code);
        await Server.AssertAuditedAsync("invitation.accept", AuditOutcomes.Denied, null, ErrorCodes.InvitationInvalid);
    }

    [Fact]
    public async Task Accept_AfterSevenDays_IsGoneButWorksJustBefore()
    {
        var early = await InviteStaffAsync();
        var late = await InviteStaffAsync();

        Clock.Advance(TimeSpan.FromDays(7) - TimeSpan.FromSeconds(1));
        var inTime = await AcceptAsync(early.Token, Scenario.UniqueLogin("intime"));
        Clock.Advance(TimeSpan.FromSeconds(2));
        var expired = await AcceptAsync(late.Token, Scenario.UniqueLogin("late"));

        Assert.Equal(Clock.GetUtcNow().AddSeconds(-1).ToUnixTimeMilliseconds(), late.ExpiresAtUnixMs);
        Assert.Equal(HttpStatusCode.OK, inTime.Status);
        Assert.Equal((HttpStatusCode.Gone, ErrorCodes.InvitationInvalid), (expired.Status, expired.Code));
    }

    [Fact]
    public async Task Accept_Token_IsStoredOnlyAsItsHash()
    {
        var invitation = await InviteStaffAsync();
        Assert.Equal(HttpStatusCode.OK, (await AcceptAsync(invitation.Token, Scenario.UniqueLogin("hashed"))).Status);
        var pending = await InviteStaffAsync();

        var files = Server.Data.ReadAllFiles().Where(f => !f.File.Contains("mail-pickup", StringComparison.Ordinal)).ToList();

        Assert.Contains(files, f => f.File.EndsWith("messaging.db", StringComparison.Ordinal) || f.File.EndsWith("messaging.db-wal", StringComparison.Ordinal));
        foreach (var token in new[] { invitation.Token, pending.Token })
        {
            var forms = new[] { Encoding.UTF8.GetBytes(token), Encoding.Unicode.GetBytes(token), Base64UrlDecode(token) };
            foreach (var (file, bytes) in files)
            {
                Assert.False(forms.Any(form => bytes.AsSpan().IndexOf(form) >= 0), $"{Path.GetFileName(file)} holds an invitation token");
            }
        }
    }

    [Fact]
    public async Task Accept_PatientWithoutTheCurrentTerms_IsConsentRequiredAndCreatesNothing()
    {
        var doctor = await Scenario.MemberAsync();
        var login = Scenario.UniqueLogin("patient");
        var invitation = await Scenario.Api.InviteAsync(
            await Scenario.FreshTokenAsync(doctor, cancellationToken: Ct), Scenario.Practice, new CreateInvitationRequest(Roles.Patient, login, "Jeanne Dupont", null, null), Ct);

        var none = await Http.CallAsync(HttpMethod.Post, Routes.AcceptInvitation, null, new AcceptInvitationRequest(invitation.Token, login, Scenario.Password, null));
        var old = await Http.CallAsync(HttpMethod.Post, Routes.AcceptInvitation, null, new AcceptInvitationRequest(invitation.Token, login, Scenario.Password, "2001-01"));
        var signIn = await Http.CallAsync(HttpMethod.Post, Routes.Sessions, null, new LoginRequest(login, Scenario.Password));
        var terms = await Scenario.Api.GetTermsAsync(Ct);
        var accepted = await Scenario.Api.AcceptInvitationAsync(new AcceptInvitationRequest(invitation.Token, login, Scenario.Password, terms.Version), cancellationToken: Ct);

        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.ConsentRequired), (none.Status, none.Code));
        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.ConsentRequired), (old.Status, old.Code));
        Assert.Equal(ErrorCodes.InvalidCredentials, signIn.Code);
        Assert.Equal((Scenario.Practice, Roles.Patient), (accepted.PracticeId, accepted.Role));
        var token = (await Scenario.Api.SignInAsync(login, Scenario.Password, Ct)).AccessToken;
        var consent = await Scenario.Api.GetConsentAsync(token, Ct);
        Assert.Equal(terms.Version, consent.AcceptedTermsVersion);
        Assert.Null(consent.WithdrawnAtUnixMs);
        await Server.AssertAuditedAsync("consent.give", AuditOutcomes.Success, accepted.AccountId);
    }

    [Fact]
    public async Task Invite_WithEmail_SendsTheLinkWithoutPracticeNameInviterOrInviteeName()
    {
        var (practice, admin) = await Scenario.PracticeAsync("Cabinet Dr Morel");
        var doctor = await Scenario.StaffAsync(Roles.Doctor, practice, admin);
        var staffEmail = Scenario.UniqueLogin("dr.invited");
        var patientEmail = Scenario.UniqueLogin("patient.invited");

        var staffInvitation = await Scenario.Api.InviteAsync(
            await Scenario.FreshTokenAsync(admin, cancellationToken: Ct), practice, new CreateInvitationRequest(Roles.Doctor, staffEmail, "Paul Invité", null, null), Ct);
        var patientInvitation = await Scenario.Api.InviteAsync(
            await Scenario.FreshTokenAsync(doctor, cancellationToken: Ct), practice, new CreateInvitationRequest(Roles.Patient, patientEmail, "Jeanne Dupont", "+33611111111", null), Ct);
        var withoutEmail = Scenario.Mailbox.To(doctor.Login).Count;

        foreach (var (email, invitation, inviter) in new[] { (staffEmail, staffInvitation, admin), (patientEmail, patientInvitation, doctor) })
        {
            await Eventually.WaitAsync(() => Scenario.Mailbox.To(email).Count == 1, "the invitation email");
            Assert.Equal(invitation.Token, Scenario.Mailbox.LatestLinkToken(email));
            var mail = Scenario.Mailbox.To(email)[0];
            var text = string.Join('\n', mail.Headers.Select(h => h.Value)) + $"\n{mail.TextBody}\n{mail.HtmlBody}";
            foreach (var secret in new[] { "Cabinet Dr Morel", inviter.Login, "Paul Invité", "Jeanne Dupont", "+33611111111" })
            {
                Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
            }
        }

        Assert.Equal(0, withoutEmail);
    }

    [Fact]
    public async Task Accept_SignedInSecretaryOfAnotherPractice_HoldsBothRolesUntilRemovedFromOne()
    {
        var secretary = await Scenario.StaffAsync(Roles.Secretary);
        var doctorA = await Scenario.MemberAsync();
        var (practiceB, adminB) = await Scenario.PracticeAsync("Cabinet B");
        var doctorB = await Scenario.StaffAsync(Roles.Doctor, practiceB, adminB);
        var invitation = await Scenario.Api.InviteAsync(
            await Scenario.FreshTokenAsync(adminB, cancellationToken: Ct), practiceB, new CreateInvitationRequest(Roles.Secretary, null, null, null, null), Ct);
        var token = await Scenario.FreshTokenAsync(secretary, cancellationToken: Ct);

        var accepted = await Scenario.Api.AcceptInvitationAsync(new AcceptInvitationRequest(invitation.Token, null, null, null), token, Ct);

        Assert.Equal((secretary.AccountId, practiceB, Roles.Secretary), (accepted.AccountId, accepted.PracticeId, accepted.Role));
        var me = await Scenario.Api.GetCurrentAccountAsync(token, Ct);
        Assert.Equal(
            new[] { new MembershipInfo(Scenario.Practice, Roles.Secretary), new MembershipInfo(practiceB, Roles.Secretary) }.OrderBy(m => m.PracticeId),
            me.Memberships.OrderBy(m => m.PracticeId));
        var inA = (await Scenario.Api.CreateConversationAsync(token, new CreateConversationRequest(Scenario.Practice, [doctorA.AccountId]), Ct)).ConversationId;
        var inB = (await Scenario.Api.CreateConversationAsync(token, new CreateConversationRequest(practiceB, [doctorB.AccountId]), Ct)).ConversationId;
        Assert.NotNull(await Scenario.Api.GetConversationDevicesAsync(token, inA, Ct));
        Assert.NotNull(await Scenario.Api.GetConversationDevicesAsync(token, inB, Ct));

        await Scenario.Api.RemovePracticeMemberAsync(await Scenario.FreshTokenAsync(Scenario.Admin, cancellationToken: Ct), Scenario.Practice, secretary.AccountId, Ct);

        await AccountTestKit.RefusedAsync(() => Scenario.Api.GetConversationDevicesAsync(token, inA, Ct), ErrorCodes.NotFound, 404);
        Assert.Equal(inB, (await Scenario.Api.GetConversationDevicesAsync(token, inB, Ct)).ConversationId);
        Assert.Equal([inB], (await Scenario.Api.GetConversationsAsync(token, Ct)).Select(c => c.ConversationId));
        Assert.Equal([new MembershipInfo(practiceB, Roles.Secretary)], (await Scenario.Api.GetCurrentAccountAsync(token, Ct)).Memberships);
        await AccountTestKit.RefusedAsync(
            () => Scenario.Api.CreateConversationAsync(token, new CreateConversationRequest(Scenario.Practice, [doctorA.AccountId]), Ct), ErrorCodes.Forbidden, 403);
    }

    [Fact]
    public async Task Accept_PatientInvitationWithAStaffAccountsToken_IsForbiddenAndLeavesTheInvitation()
    {
        var doctor = await Scenario.MemberAsync();
        var secretary = await Scenario.StaffAsync(Roles.Secretary);
        var email = Scenario.UniqueLogin("patient");
        var invitation = await Scenario.Api.InviteAsync(
            await Scenario.FreshTokenAsync(doctor, cancellationToken: Ct), Scenario.Practice, new CreateInvitationRequest(Roles.Patient, email, null, null, null), Ct);
        var terms = (await Scenario.Api.GetTermsAsync(Ct)).Version;

        var refused = await Http.CallAsync(
            HttpMethod.Post, Routes.AcceptInvitation, await Scenario.FreshTokenAsync(secretary, cancellationToken: Ct), new AcceptInvitationRequest(invitation.Token, null, null, terms));

        Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.Forbidden), (refused.Status, refused.Code));
        Assert.Equal([new MembershipInfo(Scenario.Practice, Roles.Secretary)], (await Scenario.Api.GetCurrentAccountAsync(secretary.Token, Ct)).Memberships);
        await Server.AssertAuditedAsync("invitation.accept", AuditOutcomes.Denied, secretary.AccountId, ErrorCodes.Forbidden);
        var patient = await Scenario.Api.AcceptInvitationAsync(new AcceptInvitationRequest(invitation.Token, email, Scenario.Password, terms), cancellationToken: Ct);
        Assert.Equal(Roles.Patient, patient.Role);
    }

    [Fact]
    public async Task Accept_NewAccountForAnEmailThatHasOne_IsConflict()
    {
        var doctor = await Scenario.MemberAsync();
        var patient = await Scenario.PatientAsync();
        var invitation = await Scenario.Api.InviteAsync(
            await Scenario.FreshTokenAsync(doctor, cancellationToken: Ct), Scenario.Practice, new CreateInvitationRequest(Roles.Patient, patient.Login.ToUpperInvariant(), null, null, null), Ct);
        var terms = (await Scenario.Api.GetTermsAsync(Ct)).Version;
        var login = Scenario.UniqueLogin("again");

        var refused = await Http.CallAsync(HttpMethod.Post, Routes.AcceptInvitation, null, new AcceptInvitationRequest(invitation.Token, login, Scenario.Password, terms));

        Assert.Equal((HttpStatusCode.Conflict, ErrorCodes.Conflict), (refused.Status, refused.Code));
        Assert.Equal(ErrorCodes.InvalidCredentials, (await Http.CallAsync(HttpMethod.Post, Routes.Sessions, null, new LoginRequest(login, Scenario.Password))).Code);
    }

    [Fact]
    public async Task Accept_WithAStaffTokenBeforeItsSecondFactor_IsSecondFactorRequiredAndLeavesTheInvitation()
    {
        var secretary = await Scenario.StaffAsync(Roles.Secretary);
        var (practiceB, adminB) = await Scenario.PracticeAsync("Cabinet B");
        var invitation = await Scenario.Api.InviteAsync(
            await Scenario.FreshTokenAsync(adminB, cancellationToken: Ct), practiceB, new CreateInvitationRequest(Roles.Secretary, null, null, null, null), Ct);
        var passwordOnly = (await Scenario.Api.SignInAsync(secretary.Login, secretary.Password, Ct)).AccessToken;

        var refused = await Http.CallAsync(HttpMethod.Post, Routes.AcceptInvitation, passwordOnly, new AcceptInvitationRequest(invitation.Token, null, null, null));

        Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.SecondFactorRequired), (refused.Status, refused.Code));
        var accepted = await Scenario.Api.AcceptInvitationAsync(
            new AcceptInvitationRequest(invitation.Token, null, null, null), await Scenario.FreshTokenAsync(secretary, cancellationToken: Ct), Ct);
        Assert.Equal(secretary.AccountId, accepted.AccountId);
    }

    [Fact]
    public async Task Accept_UnknownToken_IsGone()
    {
        var refused = await AcceptAsync("not-an-invitation-token", Scenario.UniqueLogin("nobody"));

        Assert.Equal((HttpStatusCode.Gone, ErrorCodes.InvitationInvalid), (refused.Status, refused.Code));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Base64UrlDecode(string token) => System.Buffers.Text.Base64Url.DecodeFromChars(token);

    private async Task<InvitationCreated> InviteStaffAsync() =>
        await Scenario.Api.InviteAsync(
            await Scenario.FreshTokenAsync(Scenario.Admin, cancellationToken: Ct), Scenario.Practice, new CreateInvitationRequest(Roles.Doctor, null, null, null, null), Ct);

    private Task<HttpAnswer> AcceptAsync(string token, string login) =>
        Http.CallAsync(HttpMethod.Post, Routes.AcceptInvitation, null, new AcceptInvitationRequest(token, login, Scenario.Password, null));
}
