namespace Messaging.Cli;

/// <summary>
/// The password is never a command-line argument (other users can read those): it comes from MESSAGING_PASSWORD, or
/// the first line of standard input. The same password unlocks the device's local state file.
/// </summary>
internal static class Secrets
{
    public static string Password()
    {
        var password = Environment.GetEnvironmentVariable("MESSAGING_PASSWORD");
        if (string.IsNullOrEmpty(password))
        {
            if (!Console.IsInputRedirected)
            {
                Console.Error.Write("Password: ");
            }

            password = Console.ReadLine();
        }

        return string.IsNullOrEmpty(password) ? throw new CliException("A password is required (MESSAGING_PASSWORD or standard input).") : password;
    }
}
