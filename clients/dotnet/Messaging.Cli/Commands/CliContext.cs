using System.CommandLine;
using Messaging.Client;

namespace Messaging.Cli.Commands;

/// <summary>Options every command shares, and helpers to reach the profile and the server.</summary>
internal static class CliContext
{
    public static readonly Option<string?> ProfileOption = new("--profile")
    {
        Description = "Profile folder (default: MESSAGING_PROFILE or ~/.messaging/default).",
        Recursive = true,
    };

    public static Profile LoadProfile(ParseResult result) => Profile.Load(Profile.ResolveFolder(result.GetValue(ProfileOption)));

    /// <summary>An HTTP API client for the profile's server, and a fresh account token.</summary>
    public static async Task<(MessagingApi Api, HttpClient Http, string Token)> SignInAsync(Profile profile, string password, CancellationToken cancellationToken)
    {
        var http = new HttpClient { BaseAddress = profile.Data.Server };
        var api = new MessagingApi(http);
        var token = await api.LoginAsync(profile.Data.Login, password, cancellationToken);
        return (api, http, token.AccessToken);
    }

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
            await Console.Error.WriteLineAsync($"error: {e.Code}{(e.Title is null ? "" : $" ({e.Title})")}");
            return 1;
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync($"error: the server cannot be reached ({e.HttpRequestError}).");
            return 1;
        }
    }
}
