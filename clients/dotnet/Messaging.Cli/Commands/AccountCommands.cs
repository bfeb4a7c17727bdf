using System.CommandLine;
using Messaging.Client;
using Messaging.Contracts;

namespace Messaging.Cli.Commands;

internal static class AccountCommands
{
    public static Command Login()
    {
        var server = new Option<string>("--server") { Description = "Server URL, e.g. http://127.0.0.1:5000", Required = true };
        var login = new Option<string>("--login") { Description = "Your login.", Required = true };
        var command = new Command("login", "Check the credentials and save a profile (server, login, account id).") { server, login };
        command.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            var serverUri = Uri.TryCreate(result.GetValue(server), UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https"
                ? parsed
                : throw new CliException("--server must be an http:// or https:// URL.");
            using var http = new HttpClient { BaseAddress = serverUri };
            var token = await new MessagingApi(http).LoginAsync(result.GetValue(login)!, Secrets.Password(), cancellationToken);
            var folder = Profile.ResolveFolder(result.GetValue(CliContext.ProfileOption));
            Profile.Create(folder, new ProfileData(serverUri, result.GetValue(login)!, token.AccountId, DeviceId: null));
            Console.WriteLine($"Signed in as account {token.AccountId}. Profile saved in {folder}.");
        }));
        return command;
    }

    public static Command WhoAmI()
    {
        var command = new Command("whoami", "Show the profile's account, role and device.");
        command.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            var profile = CliContext.LoadProfile(result);
            var (api, http, token) = await CliContext.SignInAsync(profile, Secrets.Password(), cancellationToken);
            using (http)
            {
                var me = await api.GetCurrentAccountAsync(token, cancellationToken);
                Console.WriteLine($"account {me.AccountId} role {me.Role} device {profile.Data.DeviceId?.ToString() ?? "(none: run `messaging device register`)"}");
            }
        }));
        return command;
    }

    public static Command CreateAccount()
    {
        var login = new Option<string>("--login") { Description = "The new account's login.", Required = true };
        var role = new Option<string>("--role") { Description = "admin or member.", DefaultValueFactory = _ => Roles.Member };
        var command = new Command(
            "create-account",
            "Create an account (your profile must be an admin's). Reads your password, then the new account's password, from MESSAGING_PASSWORD / MESSAGING_NEW_PASSWORD or standard input.")
        {
            login, role,
        };
        command.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            var profile = CliContext.LoadProfile(result);
            var adminPassword = Secrets.Password();
            var newPassword = Environment.GetEnvironmentVariable("MESSAGING_NEW_PASSWORD") ?? Console.ReadLine()
                ?? throw new CliException("The new account's password is required.");
            var (api, http, token) = await CliContext.SignInAsync(profile, adminPassword, cancellationToken);
            using (http)
            {
                var created = await api.CreateAccountAsync(token, new CreateAccountRequest(result.GetValue(login)!, newPassword, result.GetValue(role)!), cancellationToken);
                Console.WriteLine(created.AccountId);
            }
        }));
        return command;
    }
}
