using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Messaging.Server.Features.Practices;

internal static class PracticeEndpoints
{
    public static IServiceCollection AddPractices(this IServiceCollection services)
    {
        services.AddSingleton<PracticeAccess>();
        services.AddSingleton<PracticeService>();
        services.AddSingleton<InvitationService>();
        services.AddSingleton<ConsentService>();
        services.AddSingleton<IRecordSweep, ExpiredInvitationSweep>();
        return services;
    }

    public static IEndpointRouteBuilder MapPracticeEndpoints(this IEndpointRouteBuilder app)
    {
        var practices = app.MapGroup(Routes.Practices).WithTags("Practices");
        practices.MapPost("", CreateAsync).RequireAuthorization(Policies.Operator)
            .WithName("CreatePractice").WithSummary("Creates a practice and invites its first admin (platform operator only).");
        practices.MapPost("/{practiceId:guid}/invitations", InviteAsync).RequireAuthorization(Policies.Verified).RequireRateLimiting(RateLimits.Invitations)
            .WithName("CreateInvitation").WithSummary("Invites someone into the practice: admins invite staff, secretaries and doctors invite patients.");
        practices.MapGet("/{practiceId:guid}/members", ListMembersAsync).RequireAuthorization(Policies.Verified)
            .WithName("ListPracticeMembers").WithSummary("The practice's people and roles (its staff only).");
        practices.MapDelete("/{practiceId:guid}/members/{accountId:guid}", RemoveMemberAsync).RequireAuthorization(Policies.Verified)
            .WithName("RemovePracticeMember").WithSummary("Removes someone's roles in the practice (its admins only).");

        app.MapPost(Routes.AcceptInvitation, AcceptAsync).AllowAnonymous().RequireRateLimiting(RateLimits.SignIn).WithTags("Practices")
            .WithName("AcceptInvitation").WithSummary("Accepts an invitation: a new account, or (signed in) one more practice for this account.");

        app.MapGet(Routes.Terms, (Microsoft.Extensions.Options.IOptions<AccountOptions> options) => TypedResults.Ok(new TermsInfo(options.Value.TermsVersion)))
            .AllowAnonymous().WithTags("Consent").WithName("GetTerms").WithSummary("The version of the terms patients accept.");

        var consent = app.MapGroup(Routes.Consent).WithTags("Consent").RequireAuthorization(Policies.SignedIn);
        consent.MapGet("", GetConsentAsync).WithName("GetConsent").WithSummary("A patient's consent and the current terms version.");
        consent.MapPost("", GiveConsentAsync).WithName("GiveConsent").WithSummary("A patient accepts the current terms: delivery to them resumes.");
        consent.MapDelete("", WithdrawConsentAsync).WithName("WithdrawConsent").WithSummary("A patient withdraws consent: delivery to them stops.");
        return app;
    }

    private static async Task<Results<Created<PracticeCreated>, ProblemHttpResult>> CreateAsync(
        CreatePracticeRequest request, HttpContext context, PracticeService service, CancellationToken cancellationToken)
    {
        if (PracticeService.Validate(request) is { } problem)
        {
            return Problems.Invalid(problem);
        }

        var created = await service.CreateAsync(Caller.From(context.User), request, cancellationToken);
        return TypedResults.Created($"{Routes.Practices}/{created.PracticeId}", created);
    }

    private static async Task<Results<Created<InvitationCreated>, ProblemHttpResult>> InviteAsync(
        Guid practiceId, CreateInvitationRequest request, HttpContext context, InvitationService service, CancellationToken cancellationToken)
    {
        if (InvitationService.Validate(request) is { } problem)
        {
            return Problems.Invalid(problem);
        }

        return await service.InviteAsync(Caller.From(context.User), practiceId, request, cancellationToken) is { } created
            ? TypedResults.Created($"{Routes.PracticeInvitations(practiceId)}/{created.InvitationId}", created)
            : Problems.Forbidden(ErrorCodes.Forbidden, "Your roles in this practice may not invite this role.");
    }

    private static async Task<Results<Ok<PracticeMember[]>, ProblemHttpResult>> ListMembersAsync(
        Guid practiceId, HttpContext context, PracticeService service, CancellationToken cancellationToken) =>
        await service.ListMembersAsync(Caller.From(context.User), practiceId, cancellationToken) is { } members
            ? TypedResults.Ok(members.ToArray())
            : Problems.Forbidden(ErrorCodes.Forbidden, "Only the practice's staff see its people.");

    private static async Task<Results<NoContent, ProblemHttpResult>> RemoveMemberAsync(
        Guid practiceId, Guid accountId, HttpContext context, PracticeService service, CancellationToken cancellationToken) =>
        await service.RemoveMemberAsync(Caller.From(context.User), practiceId, accountId, cancellationToken)
            ? TypedResults.NoContent()
            : Problems.Forbidden(ErrorCodes.Forbidden, "Only the practice's admins remove people.");

    private static async Task<Results<Ok<InvitationAccepted>, ProblemHttpResult>> AcceptAsync(
        AcceptInvitationRequest request, HttpContext context, InvitationService service, CancellationToken cancellationToken)
    {
        // Anonymous route: a bearer token, if sent, was validated by the authentication middleware all the same.
        var caller = context.User.Identity?.IsAuthenticated == true ? Caller.TryFrom(context.User) : null;
        if (caller is { IsVerified: false })
        {
            return Problems.Forbidden(ErrorCodes.SecondFactorRequired, "Complete your second factor first.");
        }

        return await service.AcceptAsync(request, caller, cancellationToken) switch
        {
            InvitationService.AcceptOutcome.Accepted accepted => TypedResults.Ok(accepted.Result),
            InvitationService.AcceptOutcome.Problem problem => Problems.Http(problem.Code, problem.Status, problem.Detail),
            _ => throw new InvalidOperationException("Unknown outcome."),
        };
    }

    private static async Task<Results<Ok<ConsentInfo>, ProblemHttpResult>> GetConsentAsync(
        HttpContext context, ConsentService service, CancellationToken cancellationToken) =>
        await service.GetAsync(Caller.From(context.User), cancellationToken) is { } info ? TypedResults.Ok(info) : PatientsOnly();

    private static async Task<Results<Ok<ConsentInfo>, ProblemHttpResult>> GiveConsentAsync(
        GiveConsentRequest request, HttpContext context, ConsentService service, CancellationToken cancellationToken) =>
        await service.GiveAsync(Caller.From(context.User), request.TermsVersion, cancellationToken) is { } info ? TypedResults.Ok(info)
            : Caller.From(context.User).IsPatient ? Problems.Http(ErrorCodes.ConsentRequired, StatusCodes.Status400BadRequest, "Consent is given to the current terms version (GET /api/terms).")
            : PatientsOnly();

    private static async Task<Results<Ok<ConsentInfo>, ProblemHttpResult>> WithdrawConsentAsync(
        HttpContext context, ConsentService service, CancellationToken cancellationToken) =>
        await service.WithdrawAsync(Caller.From(context.User), cancellationToken) is { } info ? TypedResults.Ok(info) : PatientsOnly();

    private static ProblemHttpResult PatientsOnly() => Problems.Forbidden(ErrorCodes.Forbidden, "Consent is a patient's.");
}
