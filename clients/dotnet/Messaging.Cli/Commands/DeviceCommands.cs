using System.CommandLine;

namespace Messaging.Cli.Commands;

internal static class DeviceCommands
{
    public static Command Device()
    {
        var register = new Command(
            "register",
            "Create this device's keys, register it (password and a second-factor code; patients: the code emailed for a new device) and publish its prekeys; prints the device id.");
        register.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            var profile = CliContext.LoadProfile(result);
            await using var session = await DeviceSession.RegisterAsync(profile, Secrets.Password(), CliContext.Method(result), cancellationToken);
            Console.WriteLine(session.Messenger.DeviceId);
        }));

        var command = new Command("device", "This device.");
        command.Subcommands.Add(register);
        return command;
    }

    public static Command SafetyNumber()
    {
        var peer = new Option<Guid>("--device") { Description = "The other device's id.", Required = true };
        var command = new Command("safety-number", "Show the safety number with another device, to compare in person (60 digits).") { peer };
        command.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            await using var session = DeviceSession.Open(CliContext.LoadProfile(result), Secrets.Password(), CliContext.Method(result));
            var number = session.Messenger.SafetyNumberWith(result.GetValue(peer))
                ?? throw new CliException("No session with that device yet: exchange a message first.");
            Console.WriteLine(number.Display);
            Console.WriteLine($"QR payload (base64): {Convert.ToBase64String(number.QrPayload)}");
        }));
        return command;
    }
}
