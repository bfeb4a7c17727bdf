using Messaging.Contracts;
using Messaging.Server.Features.Accounts;

namespace Messaging.Server.Hosting;

/// <summary>
/// Commands for a fresh install, run instead of the server: <c>create-operator --login NAME</c> creates the platform
/// operator, who then signs in, enrols a second factor and creates practices (each with its first admin's
/// invitation). The password comes from MESSAGING_OPERATOR_PASSWORD or the first line of standard input, never from
/// the command line (which other users of the machine can read).
/// </summary>
internal static class AdminCommands
{
    public const string CreateOperator = "create-operator";
    public const string PasswordVariable = "MESSAGING_OPERATOR_PASSWORD";

    public static bool IsCommand(string[] args) => args is [CreateOperator, ..];

    public static async Task<int> RunAsync(string[] args)
    {
        var login = ArgumentAfter(args, "--login");
        if (login is null)
        {
            await Console.Error.WriteLineAsync($"usage: {CreateOperator} --login NAME   (password from {PasswordVariable} or standard input)");
            return 2;
        }

        var password = Environment.GetEnvironmentVariable(PasswordVariable) ?? await Console.In.ReadLineAsync() ?? "";
        var rest = args.Where((_, i) => i > 0 && args[i] != "--login" && args[i - 1] != "--login").ToArray();
        AccountService.CreateOutcome outcome;
        try
        {
            await using var app = ServerHost.Build(rest);
            var accounts = app.Services.GetRequiredService<AccountService>();
            outcome = await accounts.CreateAsync(Roles.Operator, login, password, null, "fr", null, createdBy: null, CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The configuration or the store (a file that is not a database, a refused migration): one line that names
            // it, and exit 1, rather than the runtime's abort with a stack dump. No message here holds the password.
            await Console.Error.WriteLineAsync($"The command failed: {e.Message}");
            return 1;
        }

        switch (outcome)
        {
            case AccountService.CreateOutcome.Created created:
                await Console.Out.WriteLineAsync($"Created the operator account {created.Account.Id}. Sign in and enrol a second factor next.");
                return 0;
            case AccountService.CreateOutcome.Invalid invalid:
                await Console.Error.WriteLineAsync(invalid.Detail);
                return 1;
            default:
                await Console.Error.WriteLineAsync("An account with this login exists already.");
                return 1;
        }
    }

    private static string? ArgumentAfter(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
