using System.CommandLine;
using Messaging.Client;
using Messaging.Contracts;

namespace Messaging.Cli.Commands;

internal static class AccountCommands
{
    public static Command Login()
    {
        var server = CliContext.ServerOption(required: true);
        var login = new Option<string>("--login") { Description = "Your login.", Required = true };
        var command = new Command(
            "login",
            "Sign in (password, then the second-factor code from MESSAGING_CODE or standard input) and save the profile: server, login, account id.")
        {
            server, login,
        };
        command.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            var serverUri = CliContext.ParseServer(result.GetValue(server));
            var folder = CliContext.ProfileFolder(result);
            var existing = Profile.TryLoad(folder);
            using var http = new HttpClient { BaseAddress = serverUri };
            var flow = new SignInFlow(new MessagingApi(http), result.GetValue(login)!, Secrets.Password(), CliContext.Method(result));
            var signedIn = await flow.PasswordAsync(cancellationToken);

            // A profile's device belongs to one account on one server: keep it when signing in again as its owner.
            var data = new ProfileData(serverUri, result.GetValue(login)!, signedIn.AccountId, DeviceId: null);
            if (existing?.Data is { DeviceId: not null } kept)
            {
                data = kept.Server == serverUri && kept.AccountId == signedIn.AccountId
                    ? kept with { Login = data.Login }
                    : throw new CliException("This profile holds the device of another account or server: use another --profile.");
            }

            if (signedIn.SecondFactor == SignInStates.EnrolmentRequired)
            {
                Profile.Create(folder, data);
                Console.WriteLine($"Password accepted for account {signedIn.AccountId}. Enrol a second factor next: `messaging mfa enrol-totp`.");
                return;
            }

            await flow.CompleteAsync(signedIn, newDevice: false, cancellationToken);
            Profile.Create(folder, data);
            Console.WriteLine($"Signed in as account {signedIn.AccountId}. Profile saved in {folder}.");
        }));
        return command;
    }

    public static Command WhoAmI()
    {
        var command = new Command("whoami", "Show the profile's account, its practices and roles, and the device (password only, no code).");
        command.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            var profile = CliContext.LoadProfile(result);
            await using var session = await ServerSession.PasswordOnlyAsync(profile, cancellationToken);
            var me = await session.Api.GetCurrentAccountAsync(session.Token, cancellationToken);
            Console.WriteLine($"account {me.AccountId} kind {me.Kind} device {profile.Data.DeviceId?.ToString() ?? "(none: run `messaging device register`)"}");
            foreach (var membership in me.Memberships)
            {
                Console.WriteLine($"practice {membership.PracticeId} role {membership.Role}");
            }
        }));
        return command;
    }
}
