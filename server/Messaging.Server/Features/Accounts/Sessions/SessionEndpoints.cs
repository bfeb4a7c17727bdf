using System.Globalization;
using Messaging.Contracts;
using Messaging.Server.Features.Accounts.SecondFactor;
using Messaging.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Messaging.Server.Features.Accounts.Sessions;

internal static class SessionEndpoints
{
    public static IEndpointRouteBuilder MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        var sessions = app.MapGroup(Routes.Sessions).WithTags("Sessions");
        sessions.MapPost("", SignInAsync).AllowAnonymous().RequireRateLimiting(RateLimits.SignIn)
            .WithName("SignIn").WithSummary("Password sign-in: a first token, and what the second step is.");
        sessions.MapPost("/second-factor", VerifyAsync).RequireAuthorization(Policies.SignedIn).RequireRateLimiting(RateLimits.CodeChecks)
            .WithName("CompleteSecondFactor").WithSummary("A TOTP, recovery or emailed code for this session.");
        sessions.MapPost("/email-code", SendEmailCodeAsync).RequireAuthorization(Policies.SignedIn).RequireRateLimiting(RateLimits.CodeChecks)
            .WithName("SendEmailCode").WithSummary("Emails a patient the one-time code a new device needs.");
        sessions.MapPost("/challenge", Challenge).AllowAnonymous().RequireRateLimiting(RateLimits.SignIn)
            .WithName("CreateSessionChallenge").WithSummary("A challenge for a device to sign (valid two minutes).");
        sessions.MapPost("/device", OpenDeviceSessionAsync).RequireAuthorization(Policies.Verified)
            .WithName("CreateDeviceSession").WithSummary("Opens a session for one of the caller's devices, proven by its signature.");
        sessions.MapPost("/refresh", RefreshAsync).AllowAnonymous().RequireRateLimiting(RateLimits.SignIn)
            .WithName("RefreshDeviceSession").WithSummary("Single-use refresh token + device signature → new tokens.");
        sessions.MapDelete("/current", SignOutAsync).RequireAuthorization(Policies.Device)
            .WithName("SignOut").WithSummary("Ends this device's session.");
        sessions.MapDelete("", SignOutEverywhereAsync).RequireAuthorization(Policies.Verified)
            .WithName("SignOutEverywhere").WithSummary("Ends every session of the account, on every device.");
        return app;
    }

    private static async Task<Results<Ok<SignInResponse>, ProblemHttpResult>> SignInAsync(
        LoginRequest request, HttpContext context, SignInService service, CancellationToken cancellationToken) =>
        await service.SignInAsync(request, cancellationToken) switch
        {
            SignInService.Outcome.SignedIn signedIn => TypedResults.Ok(signedIn.Response),
            SignInService.Outcome.Locked locked => Locked(context, locked.RetryAfter),
            _ => Problems.Http(ErrorCodes.InvalidCredentials, StatusCodes.Status401Unauthorized, "The login or the password is wrong."),
        };

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> VerifyAsync(
        SecondFactorRequest request, HttpContext context, SignInService service, CancellationToken cancellationToken) =>
        await service.VerifyAsync(Caller.From(context.User), request, cancellationToken) switch
        {
            SignInService.Outcome.Verified verified => TypedResults.Ok(verified.Token),
            SignInService.Outcome.Locked locked => Locked(context, locked.RetryAfter),
            _ => Problems.Http(ErrorCodes.InvalidCode, StatusCodes.Status403Forbidden, "The code is wrong, used or expired."),
        };

    private static async Task<Results<Accepted, ProblemHttpResult>> SendEmailCodeAsync(
        HttpContext context, SecondFactorService service, CancellationToken cancellationToken) =>
        await service.SendEmailCodeAsync(Caller.From(context.User), cancellationToken)
            ? TypedResults.Accepted((string?)null)
            : Problems.Http(ErrorCodes.InvalidRequest, StatusCodes.Status400BadRequest, "No code can be emailed for this account.");

    private static Ok<SessionChallenge> Challenge(SessionChallenges challenges)
    {
        var (challenge, expiresAt) = challenges.Issue();
        return TypedResults.Ok(new SessionChallenge(challenge, expiresAt.ToUnixTimeMilliseconds()));
    }

    private static async Task<Results<Ok<DeviceSessionResponse>, ProblemHttpResult>> OpenDeviceSessionAsync(
        DeviceSessionRequest request, HttpContext context, DeviceSessionService service, CancellationToken cancellationToken) =>
        await service.OpenAsync(Caller.From(context.User), request, cancellationToken) switch
        {
            ({ } session, _) => TypedResults.Ok(session),
            (_, ErrorCodes.DeviceRevoked) => Problems.Forbidden(ErrorCodes.DeviceRevoked, "This device was revoked."),
            (_, ErrorCodes.InvalidProof) => Problems.Forbidden(ErrorCodes.InvalidProof, "The challenge is expired or the device's signature does not verify."),
            _ => Problems.NotFound("The device"),
        };

    private static async Task<Results<Ok<DeviceSessionResponse>, ProblemHttpResult>> RefreshAsync(
        RefreshRequest request, DeviceSessionService service, CancellationToken cancellationToken) =>
        await service.RefreshAsync(request, cancellationToken) switch
        {
            ({ } session, _) => TypedResults.Ok(session),
            (_, ErrorCodes.InvalidProof) => Problems.Forbidden(ErrorCodes.InvalidProof, "The challenge is expired or the device's signature does not verify."),
            _ => Problems.Http(ErrorCodes.SessionEnded, StatusCodes.Status401Unauthorized, "The session has ended: sign in again."),
        };

    private static async Task<NoContent> SignOutAsync(HttpContext context, DeviceSessionService service, CancellationToken cancellationToken)
    {
        await service.SignOutAsync(Caller.From(context.User), cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> SignOutEverywhereAsync(HttpContext context, DeviceSessionService service, CancellationToken cancellationToken)
    {
        var caller = Caller.From(context.User);
        await service.SignOutEverywhereAsync(caller.AccountId, caller.DeviceId, cancellationToken);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult Locked(HttpContext context, TimeSpan retryAfter)
    {
        context.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        return Problems.Http(ErrorCodes.AccountLocked, StatusCodes.Status429TooManyRequests, "Too many failed attempts: the account is locked for a while.");
    }
}
