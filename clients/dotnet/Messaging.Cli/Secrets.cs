using System.Text;
using Messaging.Contracts;

namespace Messaging.Cli;

/// <summary>
/// Passwords and codes are never command-line arguments (other users of the machine can read those): each comes from
/// its environment variable, or else from the next line of standard input, read without echo on a terminal. The
/// password also unlocks the device's local state.
/// </summary>
internal static class Secrets
{
    private const string PasswordVariable = "MESSAGING_PASSWORD";
    private const string NewPasswordVariable = "MESSAGING_NEW_PASSWORD";
    private const string CodeVariable = "MESSAGING_CODE";

    // MESSAGING_CODE serves the first code a command asks for; a later one (a sign-in again during `listen`, the code
    // confirming a new TOTP after the current factor) cannot be the same single-use code, so it comes from stdin.
    private static bool codeVariableUsed;

    public static string Password() =>
        FromEnvironment(PasswordVariable) ?? ReadLine("Password: ", hidden: true)
        ?? throw new CliException($"A password is required ({PasswordVariable} or standard input).");

    public static string NewPassword() =>
        FromEnvironment(NewPasswordVariable) ?? ReadLine("New password: ", hidden: true)
        ?? throw new CliException($"The new account's password is required ({NewPasswordVariable} or standard input).");

    /// <summary>A second-factor code for <paramref name="method"/> (<see cref="SecondFactors"/>).</summary>
    public static string Code(string method)
    {
        if (!codeVariableUsed && FromEnvironment(CodeVariable) is { } code)
        {
            codeVariableUsed = true;
            return code.Trim();
        }

        codeVariableUsed = true;
        var prompt = method switch
        {
            SecondFactors.RecoveryCode => "Recovery code: ",
            SecondFactors.EmailCode => "Code from the email: ",
            _ => "Code from your authenticator app: ",
        };
        return ReadLine(prompt, hidden: false)?.Trim() is { Length: > 0 } typed
            ? typed
            : throw new CliException($"A {method} code is required ({CodeVariable} or standard input).");
    }

    private static string? FromEnvironment(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    /// <summary>The next line of standard input; on a terminal, after a prompt on stderr and without echo for secrets.</summary>
    private static string? ReadLine(string prompt, bool hidden)
    {
        if (Console.IsInputRedirected)
        {
            return Console.ReadLine() is { Length: > 0 } line ? line : null;
        }

        Console.Error.Write(prompt);
        if (!hidden)
        {
            return Console.ReadLine();
        }

        var typed = new StringBuilder();
        for (var key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
        {
            if (key.Key == ConsoleKey.Backspace)
            {
                typed.Length = Math.Max(0, typed.Length - 1);
            }
            else if (!char.IsControl(key.KeyChar))
            {
                typed.Append(key.KeyChar);
            }
        }

        Console.Error.WriteLine();
        return typed.Length > 0 ? typed.ToString() : null;
    }
}
