using System.CommandLine;
using Messaging.Contracts;

namespace Messaging.Cli.Commands;

/// <summary>A patient's consent to receive messages (the password is enough: patients have no second factor to give).</summary>
internal static class ConsentCommands
{
    public static Command Consent()
    {
        var show = new Command("show", "Show the current terms version and your consent.");
        show.SetAction((result, cancellationToken) => RunAsync(result, (session, ct) => session.Api.GetConsentAsync(session.Token, ct), cancellationToken));

        var terms = InvitationCommands.TermsOption();
        terms.Required = true;
        var give = new Command("give", "Accept the terms (this version): messages reach you again.") { terms };
        give.SetAction((result, cancellationToken) =>
            RunAsync(result, (session, ct) => session.Api.GiveConsentAsync(session.Token, result.GetValue(terms)!, ct), cancellationToken));

        var withdraw = new Command("withdraw", "Withdraw your consent: nothing is delivered to you until you give it again.");
        withdraw.SetAction((result, cancellationToken) => RunAsync(result, (session, ct) => session.Api.WithdrawConsentAsync(session.Token, ct), cancellationToken));

        var command = new Command("consent", "Your consent, as a patient, to receive messages.");
        command.Subcommands.Add(show);
        command.Subcommands.Add(give);
        command.Subcommands.Add(withdraw);
        return command;
    }

    private static Task<int> RunAsync(ParseResult result, Func<ServerSession, CancellationToken, Task<ConsentInfo>> call, CancellationToken cancellationToken) =>
        CliContext.RunAsync(async () =>
        {
            await using var session = await ServerSession.PasswordOnlyAsync(CliContext.LoadProfile(result), cancellationToken);
            var consent = await call(session, cancellationToken);
            Console.WriteLine($"terms {consent.CurrentTermsVersion} accepted {consent.AcceptedTermsVersion ?? "none"} {State(consent)}");
        });

    private static string State(ConsentInfo consent) => consent switch
    {
        { WithdrawnAtUnixMs: { } at } => $"withdrawn {DateTimeOffset.FromUnixTimeMilliseconds(at):u}",
        { GivenAtUnixMs: { } at } => $"given {DateTimeOffset.FromUnixTimeMilliseconds(at):u}",
        _ => "not given",
    };
}
