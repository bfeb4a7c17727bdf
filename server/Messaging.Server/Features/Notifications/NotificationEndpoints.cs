using System.Net;
using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Accounts.SecondFactor;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Conversations;
using Messaging.Server.Features.Practices;
using Messaging.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Messaging.Server.Features.Notifications;

internal static class NotificationEndpoints
{
    public static IServiceCollection AddNotifications(this IServiceCollection services)
    {
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.Section)
            .Validate(o => o.MaxAttempts > 0 && o.Lease > TimeSpan.Zero && o.PollInterval > TimeSpan.Zero, $"{NotificationOptions.Section}: invalid values.")
            .ValidateOnStart();
        services.AddSingleton<NotificationLinks>();
        services.AddSingleton<NotificationService>();
        services.AddHostedService<NotificationSender>();
        services.AddSingleton<IRecordSweep, ExpiredLinkSweep>();
        services.AddSingleton<IRecordSweep, ClosedNotificationSweep>();
        return services;
    }

    public static IEndpointRouteBuilder MapNotificationEndpoints(this IEndpointRouteBuilder app)
    {
        // The link opens a page whose button continues: mail scanners that fetch every link (GET) do not use it up.
        app.MapGet($"{NotificationLinks.Route}/{{token}}", Landing).AllowAnonymous().ExcludeFromDescription();
        app.MapPost($"{NotificationLinks.Route}/{{token}}", OpenAsync).AllowAnonymous().RequireRateLimiting(RateLimits.SignIn).DisableAntiforgery()
            .ExcludeFromDescription();
        app.MapGet(Routes.PracticeDeadNotifications("{practiceId:guid}"), DeadLettersAsync).RequireAuthorization(Policies.Verified)
            .WithTags("Notifications").WithName("ListDeadNotifications")
            .WithSummary("Notifications given up after their last attempt, for the practice's admins.");
        return app;
    }

    private static ContentHttpResult Landing(string token, HttpContext context) =>
        Page(context, StatusCodes.Status200OK, French(context)
            ? ("Message sécurisé", "Un message vous attend. Continuez pour vous connecter.", $"<form method=\"post\"><button type=\"submit\">Continuer</button></form>")
            : ("Secure message", "A message is waiting for you. Continue to sign in.", "<form method=\"post\"><button type=\"submit\">Continue</button></form>"));

    /// <summary>Uses the link once and leads to the web client's sign-in, then the conversation; it signs no one in.</summary>
    private static async Task<IResult> OpenAsync(string token, HttpContext context, INotificationStore store, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var link = token.Length is > 0 and <= 128 ? await store.UseLinkAsync(TokenHash.Of(token), now, cancellationToken) : null;
        if (link is not { UsedAt: null } || link.ExpiresAt <= now)
        {
            await audit.DeniedAsync("notification.link", link?.PatientAccountId, null, link?.NotificationId.ToString(), ErrorCodes.InvitationInvalid);
            return Page(context, StatusCodes.Status410Gone, French(context)
                ? ("Lien expiré", "Ce lien a déjà servi ou a expiré. Connectez-vous à la messagerie pour lire vos messages.", "<a href=\"/\">Se connecter</a>")
                : ("Link expired", "This link was used already or has expired. Sign in to the messaging service to read your messages.", "<a href=\"/\">Sign in</a>"));
        }

        await audit.SucceededAsync("notification.link", link.PatientAccountId, null, link.NotificationId.ToString());
        return Results.Redirect($"/#/signin?conversation={link.ConversationId}", permanent: false, preserveMethod: false);
    }

    private static async Task<Results<Ok<DeadNotification[]>, ProblemHttpResult>> DeadLettersAsync(
        Guid practiceId,
        HttpContext context,
        PracticeAccess access,
        IPracticeStore practices,
        IConversationStore conversations,
        INotificationStore store,
        AuditTrail audit,
        CancellationToken cancellationToken)
    {
        var caller = Caller.From(context.User);
        if (!await access.HasRoleAsync(caller.AccountId, practiceId, AccessRules.MayManagePeople, cancellationToken))
        {
            await audit.DeniedAsync("notification.dead-letters", caller.AccountId, caller.DeviceId, practiceId.ToString(), ErrorCodes.Forbidden);
            return Problems.Forbidden(ErrorCodes.Forbidden, "Only the practice's admins see its undelivered notifications.");
        }

        var patients = (await practices.ListForPracticeAsync(practiceId, cancellationToken)).Where(m => m.Role == Roles.Patient).Select(m => m.AccountId).ToList();
        var ofThisPractice = new List<DeadNotification>();
        foreach (var n in await store.ListDeadAsync(patients, 100, cancellationToken))
        {
            // A patient of two practices: each practice's admins see only what concerned their own conversations.
            if (await conversations.FindAsync(n.ConversationId, cancellationToken) is { } conversation && conversation.PracticeId == practiceId)
            {
                ofThisPractice.Add(new DeadNotification(n.Id, n.PatientAccountId, n.Attempts, n.LastError, n.ClosedAt?.ToUnixTimeMilliseconds()));
            }
        }

        return TypedResults.Ok(ofThisPractice.ToArray());
    }

    private static bool French(HttpContext context) =>
        !context.Request.Headers.AcceptLanguage.ToString().StartsWith("en", StringComparison.OrdinalIgnoreCase);

    private static ContentHttpResult Page(HttpContext context, int status, (string Title, string Text, string Action) page) =>
        TypedResults.Content(
            $"<!doctype html><html lang=\"{(French(context) ? "fr" : "en")}\"><meta charset=\"utf-8\"><title>{WebUtility.HtmlEncode(page.Title)}</title>"
            + $"<h1>{WebUtility.HtmlEncode(page.Title)}</h1><p>{WebUtility.HtmlEncode(page.Text)}</p>{page.Action}</html>",
            "text/html; charset=utf-8",
            statusCode: status);
}
