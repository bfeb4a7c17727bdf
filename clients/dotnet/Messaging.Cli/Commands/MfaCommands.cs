using System.CommandLine;
using Messaging.Client;
using Messaging.Contracts;

namespace Messaging.Cli.Commands;

internal static class MfaCommands
{
    public static Command Mfa()
    {
        var command = new Command("mfa", "Your second factor (staff and the operator must have one).");
        command.Subcommands.Add(EnrolTotp());
        command.Subcommands.Add(RecoveryCodes());
        return command;
    }

    private static Command EnrolTotp()
    {
        var command = new Command(
            "enrol-totp",
            "Enrol an authenticator app: prints the secret and its otpauth URI, reads the app's first code (MESSAGING_CODE or standard input), then prints your recovery codes, once.");
        command.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            var profile = CliContext.LoadProfile(result);
            using var http = new HttpClient { BaseAddress = profile.Data.Server };
            var api = new MessagingApi(http);
            var flow = new SignInFlow(api, profile.Data.Login, Secrets.Password(), CliContext.Method(result));
            var signedIn = await flow.PasswordAsync(cancellationToken);

            // A first enrolment needs only the password; replacing a second factor needs the current one (the server
            // refuses otherwise, so that a stolen password cannot swap in the thief's authenticator).
            var token = signedIn.SecondFactor == SignInStates.EnrolmentRequired
                ? signedIn.AccessToken
                : await flow.CompleteAsync(signedIn, newDevice: false, cancellationToken);
            var enrolment = await api.BeginTotpAsync(token, cancellationToken);
            Console.WriteLine($"secret {enrolment.Secret}");
            Console.WriteLine($"uri {enrolment.OtpAuthUri}");
            await Console.Error.WriteLineAsync("Add this secret to your authenticator app, then give the code it shows.");
            var enrolled = await api.ConfirmTotpAsync(token, enrolment, Secrets.Code(SecondFactors.Totp), cancellationToken);
            PrintRecoveryCodes(enrolled.RecoveryCodes);
        }));
        return command;
    }

    private static Command RecoveryCodes()
    {
        var command = new Command("recovery-codes", "Replace your recovery codes (the old ones stop working); prints the new ones, once.");
        command.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            await using var session = await ServerSession.VerifiedAsync(CliContext.LoadProfile(result), CliContext.Method(result), cancellationToken);
            PrintRecoveryCodes((await session.Api.RegenerateRecoveryCodesAsync(session.Token, cancellationToken)).Codes);
        }));
        return command;
    }

    private static void PrintRecoveryCodes(IReadOnlyList<string> codes)
    {
        if (codes.Count == 0)
        {
            Console.WriteLine("Second factor enrolled; your recovery codes are unchanged.");
            return;
        }

        Console.WriteLine("recovery codes (shown once; each works once; keep them offline):");
        foreach (var code in codes)
        {
            Console.WriteLine(code);
        }
    }
}
