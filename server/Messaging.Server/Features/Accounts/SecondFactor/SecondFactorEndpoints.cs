using Messaging.Contracts;
using Messaging.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Messaging.Server.Features.Accounts.SecondFactor;

internal static class SecondFactorEndpoints
{
    public static IEndpointRouteBuilder MapSecondFactorEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/mfa").WithTags("Second factor");
        group.MapPost("/totp", BeginTotpAsync).RequireAuthorization(Policies.SignedIn)
            .WithName("BeginTotpEnrolment").WithSummary("A new TOTP secret to scan (replacing one needs a verified session).");
        group.MapPost("/totp/confirm", ConfirmTotpAsync).RequireAuthorization(Policies.SignedIn).RequireRateLimiting(RateLimits.CodeChecks)
            .WithName("ConfirmTotpEnrolment").WithSummary("Confirms TOTP with a first code: recovery codes and a verified token.");
        group.MapPost("/recovery-codes", RegenerateAsync).RequireAuthorization(Policies.Verified)
            .WithName("RegenerateRecoveryCodes").WithSummary("New single-use recovery codes; the old ones stop working.");
        return app;
    }

    private static async Task<Results<Ok<TotpEnrolment>, ProblemHttpResult>> BeginTotpAsync(
        HttpContext context, SecondFactorService service, CancellationToken cancellationToken) =>
        await service.BeginTotpAsync(Caller.From(context.User), cancellationToken) is { } enrolment
            ? TypedResults.Ok(enrolment)
            : Problems.Forbidden(ErrorCodes.SecondFactorRequired, "Complete your current second factor before replacing it.");

    private static async Task<Results<Ok<SecondFactorEnrolled>, ProblemHttpResult>> ConfirmTotpAsync(
        ConfirmTotpRequest request, HttpContext context, SecondFactorService service, CancellationToken cancellationToken) =>
        await service.ConfirmTotpAsync(Caller.From(context.User), request.Code, request.State, cancellationToken) is { } enrolled
            ? TypedResults.Ok(enrolled)
            : Problems.Http(ErrorCodes.InvalidCode, StatusCodes.Status403Forbidden, "The code is wrong or was used already.");

    private static async Task<Ok<RecoveryCodes>> RegenerateAsync(HttpContext context, SecondFactorService service, CancellationToken cancellationToken) =>
        TypedResults.Ok(await service.RegenerateRecoveryCodesAsync(Caller.From(context.User), cancellationToken));
}
