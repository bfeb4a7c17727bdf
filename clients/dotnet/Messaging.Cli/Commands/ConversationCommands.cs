using System.CommandLine;
using Messaging.Contracts;

namespace Messaging.Cli.Commands;

internal static class ConversationCommands
{
    public static Command Conversations()
    {
        var command = new Command("conversations", "List your conversations, or start one.");
        var list = new Command("list", "List the conversations you are a member of (one id per line, then the members).");
        list.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            var profile = CliContext.LoadProfile(result);
            var (api, http, token) = await CliContext.SignInAsync(profile, Secrets.Password(), cancellationToken);
            using (http)
            {
                foreach (var conversation in await api.GetConversationsAsync(token, cancellationToken))
                {
                    Console.WriteLine($"{conversation.ConversationId} members {string.Join(',', conversation.MemberAccountIds)}");
                }
            }
        }));

        var with = new Option<Guid[]>("--with") { Description = "Account ids of the other members.", Required = true, AllowMultipleArgumentsPerToken = true };
        var create = new Command("create", "Start a conversation; prints its id.") { with };
        create.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            var profile = CliContext.LoadProfile(result);
            var (api, http, token) = await CliContext.SignInAsync(profile, Secrets.Password(), cancellationToken);
            using (http)
            {
                var conversation = await api.CreateConversationAsync(token, new CreateConversationRequest(result.GetValue(with)!), cancellationToken);
                Console.WriteLine(conversation.ConversationId);
            }
        }));

        command.Subcommands.Add(list);
        command.Subcommands.Add(create);
        return command;
    }
}
