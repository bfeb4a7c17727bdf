using System.CommandLine;
using Messaging.Cli.Commands;

var root = new RootCommand("messaging: the command-line client of the secure messaging server (end-to-end encrypted).");
root.Options.Add(CliContext.ProfileOption);
root.Subcommands.Add(AccountCommands.Login());
root.Subcommands.Add(AccountCommands.WhoAmI());
root.Subcommands.Add(AccountCommands.CreateAccount());
root.Subcommands.Add(ConversationCommands.Conversations());
root.Subcommands.Add(DeviceCommands.Device());
root.Subcommands.Add(DeviceCommands.SafetyNumber());
root.Subcommands.Add(MessageCommands.Send());
root.Subcommands.Add(MessageCommands.Listen());
return await root.Parse(args).InvokeAsync();
