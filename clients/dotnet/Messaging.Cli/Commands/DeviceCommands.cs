using System.CommandLine;
using Messaging.Client.Secure;
using Messaging.Protocol.Primitives;

namespace Messaging.Cli.Commands;

internal static class DeviceCommands
{
    public static Command Device()
    {
        var register = new Command("register", "Create this device's keys, register it and publish its prekeys; prints the device id.");
        register.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            var profile = CliContext.LoadProfile(result);
            if (profile.Data.DeviceId is not null)
            {
                throw new CliException($"This profile already has device {profile.Data.DeviceId}.");
            }

            var password = Secrets.Password();
            var salt = Crypto.RandomBytes(16);
            using var key = DeviceSession.DeriveKey(password, salt);
            await using var messenger = await SecureMessenger.RegisterDeviceAsync(DeviceSession.Options(profile, password, key), cancellationToken);
            profile.Save(profile.Data with { DeviceId = messenger.DeviceId, StateSalt = salt });
            Console.WriteLine(messenger.DeviceId);
        }));

        var command = new Command("device", "This device.");
        command.Subcommands.Add(register);
        return command;
    }

    public static Command SafetyNumber()
    {
        var peer = new Option<Guid>("--device") { Description = "The other device's id.", Required = true };
        var command = new Command("safety-number", "Show the safety number with another device, to compare in person (60 digits).") { peer };
        command.SetAction((result, cancellationToken) => CliContext.RunAsync(() =>
        {
            var profile = CliContext.LoadProfile(result);
            var messenger = DeviceSession.Open(profile, Secrets.Password(), out var key);
            using (key)
            {
                var number = messenger.SafetyNumberWith(result.GetValue(peer))
                    ?? throw new CliException("No session with that device yet: exchange a message first.");
                Console.WriteLine(number.Display);
                Console.WriteLine($"QR payload (base64): {Convert.ToBase64String(number.QrPayload)}");
            }

            return messenger.DisposeAsync().AsTask();
        }));
        return command;
    }
}
