using System.CommandLine;
using Messaging.Client;
using Messaging.Contracts;

namespace Messaging.Cli.Commands;

/// <summary>Options every command shares, and helpers to reach the profile and the server.</summary>
internal static class CliContext
{
    public static readonly Option<string?> ProfileOption = new("--profile")
    {
        Description = "Profile folder (default: MESSAGING_PROFILE or ~/.messaging/default).",
        Recursive = true,
    };

    public static readonly Option<string?> MethodOption = CreateMethodOption();

    public static Profile LoadProfile(ParseResult result) => Profile.Load(ProfileFolder(result));

    public static string ProfileFolder(ParseResult result) => Profile.ResolveFolder(result.GetValue(ProfileOption));

    /// <summary>The second-factor method asked for with --method (null: TOTP for staff).</summary>
    public static string? Method(ParseResult result) => result.GetValue(MethodOption);

    public static Option<string> ServerOption(bool required) => new("--server")
    {
        Description = "Server URL, e.g. http://127.0.0.1:5000" + (required ? "." : " (default: the profile's)."),
        Required = required,
    };

    public static Uri ParseServer(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https"
            ? parsed
            : throw new CliException("--server must be an http:// or https:// URL.");

    /// <summary>The --server option's URL, else the profile's; for commands that may run before any profile exists.</summary>
    public static Uri ServerOf(ParseResult result, Option<string> server) =>
        result.GetValue(server) is { } value ? ParseServer(value)
        : Profile.TryLoad(ProfileFolder(result))?.Data.Server ?? throw new CliException("Give --server (there is no profile yet).");

    /// <summary>Runs a command body, turning expected failures into a one-line message and exit code 1.</summary>
    public static async Task<int> RunAsync(Func<Task> body)
    {
        try
        {
            await body();
            return 0;
        }
        catch (CliException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
        catch (MessagingException e)
        {
            // The problem code first (scripts match on it), then the server's short explanation, which names no secret.
            await Console.Error.WriteLineAsync($"error: {e.Code}{(e.Detail ?? e.Title) switch { null => "", var text => $" ({text})" }}");
            return 1;
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync($"error: the server cannot be reached ({e.HttpRequestError}).");
            return 1;
        }
    }

    private static Option<string?> CreateMethodOption()
    {
        var option = new Option<string?>("--method")
        {
            Description = "Second factor when signing in: totp (default), recovery, or email (patients, a new device).",
            Recursive = true,
        };
        option.AcceptOnlyFromAmong(SecondFactors.Totp, SecondFactors.RecoveryCode, SecondFactors.EmailCode);
        return option;
    }
}
