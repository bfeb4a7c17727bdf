using Messaging.Server.Features.Notifications.Email;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Features.Accounts;

/// <summary>
/// The emails of the account flows (codes, invitations, resets, security notices), rendered by
/// <see cref="EmailTemplates"/>: generic text, a code or a link, never a name. The address comes from the sealed
/// profile and is used only for the send. Logs name the account and the kind of email, never the address.
/// </summary>
internal sealed partial class AccountMail(
    IEmailSender sender, PersonalDataProtector personalData, IOptions<EmailOptions> options, ILogger<AccountMail> logger)
{
    /// <summary>The account's email address, or null when it has none.</summary>
    public string? AddressOf(Account account) =>
        account.Profile is { } profile ? personalData.Unprotect(profile, account.Id).Email : null;

    /// <summary>A link into the web client, e.g. <c>Link("invitation", token)</c> → <c>https://host/#/invitation?token=…</c>.</summary>
    public string Link(string page, string token) =>
        $"{options.Value.PublicBaseUrl.TrimEnd('/')}/#/{page}?token={Uri.EscapeDataString(token)}";

    /// <summary>Sends, and says whether it went: a failure is logged without the address and left to the caller.</summary>
    public async Task<bool> TrySendAsync(OutgoingEmail email, string kind, Guid? accountId, CancellationToken cancellationToken)
    {
        try
        {
            await sender.SendAsync(email, cancellationToken);
            LogSent(logger, kind, accountId);
            return true;
        }
        catch (EmailDeliveryException e)
        {
            LogFailed(logger, kind, accountId, e.Message);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Email {Kind} sent for account {AccountId}")]
    private static partial void LogSent(ILogger logger, string kind, Guid? accountId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Email {Kind} for account {AccountId} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string kind, Guid? accountId, string reason);
}
