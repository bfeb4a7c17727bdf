using System.CommandLine;
using Messaging.Contracts;

namespace Messaging.Cli.Commands;

/// <summary>The operator's and the practices' administration: practices, their people, invitations.</summary>
internal static class PracticeCommands
{
    public static Command Practice()
    {
        var command = new Command("practice", "Practices: create one (the operator), list its people (its staff).");
        command.Subcommands.Add(Create());
        command.Subcommands.Add(Members());
        return command;
    }

    public static Command Invite()
    {
        var practice = PracticeOption();
        var role = new Option<string>("--role") { Description = "admin, secretary or doctor (admins invite them); patient (secretaries and doctors).", Required = true };
        role.AcceptOnlyFromAmong(Roles.Admin, Roles.Secretary, Roles.Doctor, Roles.Patient);
        var email = new Option<string?>("--email") { Description = "Where to send the invitation link too (required for a patient)." };
        var name = new Option<string?>("--name") { Description = "The person's name, shown to the practice's staff." };
        var phone = new Option<string?>("--phone") { Description = "The person's phone number." };
        var language = LanguageOption();
        var command = new Command("invite", "Invite someone into a practice; prints the single-use invitation token.")
        {
            practice, role, email, name, phone, language,
        };
        command.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            await using var session = await ServerSession.VerifiedAsync(CliContext.LoadProfile(result), CliContext.Method(result), cancellationToken);
            var request = new CreateInvitationRequest(
                result.GetValue(role)!, result.GetValue(email), result.GetValue(name), result.GetValue(phone), result.GetValue(language));
            var invitation = await session.Api.InviteAsync(session.Token, result.GetValue(practice), request, cancellationToken);
            Console.WriteLine(invitation.Token);
            await Console.Error.WriteLineAsync(
                $"Single use, until {Time(invitation.ExpiresAtUnixMs)}{(request.Email is null ? "" : "; the link was also emailed")}. Accept with `messaging invitation accept`.");
        }));
        return command;
    }

    private static Command Create()
    {
        var name = new Option<string>("--name") { Description = "The practice's name.", Required = true };
        var adminEmail = new Option<string?>("--admin-email") { Description = "Email the first admin's invitation there too." };
        var language = LanguageOption();
        var command = new Command("create", "Create a practice (the operator only): prints its id, then its first admin's invitation token.")
        {
            name, adminEmail, language,
        };
        command.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            await using var session = await ServerSession.VerifiedAsync(CliContext.LoadProfile(result), CliContext.Method(result), cancellationToken);
            var request = new CreatePracticeRequest(result.GetValue(name)!, result.GetValue(adminEmail), result.GetValue(language));
            var created = await session.Api.CreatePracticeAsync(session.Token, request, cancellationToken);
            Console.WriteLine(created.PracticeId);
            Console.WriteLine(created.AdminInvitation.Token);
            await Console.Error.WriteLineAsync(
                $"Line 1: the practice id. Line 2: its admin's invitation token, single use, until {Time(created.AdminInvitation.ExpiresAtUnixMs)}.");
        }));
        return command;
    }

    private static Command Members()
    {
        var practice = PracticeOption();
        var command = new Command("members", "List a practice's people: account id, role, name.") { practice };
        command.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            await using var session = await ServerSession.VerifiedAsync(CliContext.LoadProfile(result), CliContext.Method(result), cancellationToken);
            foreach (var member in await session.Api.ListPracticeMembersAsync(session.Token, result.GetValue(practice), cancellationToken))
            {
                Console.WriteLine($"{member.AccountId} {member.Role} {member.Name}".TrimEnd());
            }
        }));
        return command;
    }

    private static Option<Guid> PracticeOption() => new("--practice") { Description = "The practice's id.", Required = true };

    private static Option<string?> LanguageOption() => new("--language") { Description = "Language of the emails (e.g. fr, en)." };

    private static string Time(long unixMs) => $"{DateTimeOffset.FromUnixTimeMilliseconds(unixMs):u}";
}
