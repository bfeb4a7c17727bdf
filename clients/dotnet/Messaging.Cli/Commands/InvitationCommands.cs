using System.CommandLine;
using Messaging.Client;
using Messaging.Contracts;

namespace Messaging.Cli.Commands;

/// <summary>Joining a practice: accepting an invitation, and the terms a patient accepts with it.</summary>
internal static class InvitationCommands
{
    public static Command Invitation()
    {
        var token = new Option<string>("--token") { Description = "The invitation token.", Required = true };
        var login = new Option<string?>("--login") { Description = "Create a new account with this login (else: add the practice to the profile's account)." };
        var server = CliContext.ServerOption(required: false);
        var terms = TermsOption();
        var accept = new Command(
            "accept",
            "Accept an invitation; prints the account id. With --login, creates the account (its password from MESSAGING_NEW_PASSWORD or standard input) and, if there is none, the profile.")
        {
            token, login, server, terms,
        };
        accept.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            InvitationAccepted accepted;
            if (result.GetValue(login) is { } newLogin)
            {
                var serverUri = CliContext.ServerOf(result, server);
                using var http = new HttpClient { BaseAddress = serverUri };
                accepted = await new MessagingApi(http).AcceptInvitationAsync(
                    new AcceptInvitationRequest(result.GetValue(token)!, newLogin, Secrets.NewPassword(), result.GetValue(terms)), cancellationToken: cancellationToken);
                SaveNewProfile(result, new ProfileData(serverUri, newLogin, accepted.AccountId, DeviceId: null));
            }
            else
            {
                await using var session = await ServerSession.VerifiedAsync(CliContext.LoadProfile(result), CliContext.Method(result), cancellationToken);
                accepted = await session.Api.AcceptInvitationAsync(
                    new AcceptInvitationRequest(result.GetValue(token)!, null, null, result.GetValue(terms)), session.Token, cancellationToken);
            }

            Console.WriteLine(accepted.AccountId);
            await Console.Error.WriteLineAsync(accepted.Role == Roles.Patient
                ? $"You are a patient of practice {accepted.PracticeId}. Next: `messaging device register`."
                : $"You are {accepted.Role} of practice {accepted.PracticeId}. Next: `messaging mfa enrol-totp`, unless you have a second factor already.");
        }));

        var command = new Command("invitation", "Invitations you received.");
        command.Subcommands.Add(accept);
        return command;
    }

    public static Command Terms()
    {
        var server = CliContext.ServerOption(required: false);
        var command = new Command("terms", "Print the version of the terms a patient accepts (give it to --accept-terms).") { server };
        command.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            using var http = new HttpClient { BaseAddress = CliContext.ServerOf(result, server) };
            Console.WriteLine((await new MessagingApi(http).GetTermsAsync(cancellationToken)).Version);
        }));
        return command;
    }

    public static Option<string?> TermsOption() =>
        new("--accept-terms") { Description = "The terms version you accept (patients; see `messaging terms`)." };

    /// <summary>Saves a profile for the new account, unless the folder already holds one (it may have a device).</summary>
    private static void SaveNewProfile(ParseResult result, ProfileData data)
    {
        var folder = CliContext.ProfileFolder(result);
        if (Profile.TryLoad(folder) is null)
        {
            Profile.Create(folder, data);
        }
        else
        {
            Console.Error.WriteLine($"The profile in {folder} is another account's and stays as it is: use `messaging --profile NEW_FOLDER login` for this one.");
        }
    }
}
