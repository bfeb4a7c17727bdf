using System.CommandLine;
using Messaging.Contracts;

namespace Messaging.Cli.Commands;

internal static class ConversationCommands
{
    public static Command Conversations()
    {
        var command = new Command("conversations", "List your conversations, or start one.");
        var list = new Command("list", "List the conversations you are a member of: id, practice, members.");
        list.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            await using var session = await ServerSession.VerifiedAsync(CliContext.LoadProfile(result), CliContext.Method(result), cancellationToken);
            foreach (var conversation in await session.Api.GetConversationsAsync(session.Token, cancellationToken))
            {
                Console.WriteLine($"{conversation.ConversationId} practice {conversation.PracticeId} members {string.Join(',', conversation.MemberAccountIds)}");
            }
        }));

        var practice = new Option<Guid>("--practice") { Description = "The practice the conversation belongs to.", Required = true };
        var with = new Option<Guid[]>("--with") { Description = "Account ids of the other members.", Required = true, AllowMultipleArgumentsPerToken = true };
        var create = new Command("create", "Start a conversation in a practice; prints its id.") { practice, with };
        create.SetAction((result, cancellationToken) => CliContext.RunAsync(async () =>
        {
            await using var session = await ServerSession.VerifiedAsync(CliContext.LoadProfile(result), CliContext.Method(result), cancellationToken);
            var request = new CreateConversationRequest(result.GetValue(practice), result.GetValue(with)!);
            Console.WriteLine((await session.Api.CreateConversationAsync(session.Token, request, cancellationToken)).ConversationId);
        }));

        command.Subcommands.Add(list);
        command.Subcommands.Add(create);
        return command;
    }
}
