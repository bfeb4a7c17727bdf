using System.Globalization;
using System.Text.Json;
using Fido2NetLib;
using Messaging.Contracts;
using Messaging.Server.Features.Accounts.Sessions;
using Messaging.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Features.Accounts.SecondFactor;

/// <summary>
/// Passkeys (WebAuthn): adding one to the account, and completing a session's second factor with one. Each is two
/// calls, options then answer, carried over by the sealed state (<see cref="PasskeyState"/>).
/// </summary>
internal static class PasskeyEndpoints
{
    public static IServiceCollection AddPasskeys(this IServiceCollection services)
    {
        services.AddOptions<PasskeyOptions>().BindConfiguration(PasskeyOptions.Section)
            .PostConfigure(o => o.Origins = o.Origins is { Length: > 0 } ? o.Origins : [PasskeyOptions.DefaultOrigin])
            .Validate(PasskeyOptions.IsValid, $"{PasskeyOptions.Section}: each origin must be https (or http on loopback), and its host the relying party id or below it.")
            .ValidateOnStart();
        services.AddSingleton<IFido2>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<PasskeyOptions>>().Value;
            return new Fido2(new Fido2Configuration
            {
                RPID = options.RelyingPartyId,
                RPName = options.RelyingPartyName,
                Origins = new HashSet<string>(options.Origins, StringComparer.Ordinal),
                Timeout = (uint)PasskeyState.Lifetime.TotalMilliseconds,
                ChallengeSize = 32,
            });
        });
        services.AddSingleton<PasskeyState>();
        services.AddSingleton<PasskeyService>();
        return services;
    }

    public static IEndpointRouteBuilder MapPasskeyEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost(Routes.PasskeyRegistrationOptions, BeginRegistrationAsync).RequireAuthorization(Policies.SignedIn).WithTags("Second factor")
            .WithName("BeginPasskeyRegistration").WithSummary("Options for adding a passkey (with one already, a verified session is needed).");
        app.MapPost(Routes.Passkeys, CompleteRegistrationAsync).RequireAuthorization(Policies.SignedIn).RequireRateLimiting(RateLimits.CodeChecks)
            .WithTags("Second factor").WithName("CompletePasskeyRegistration")
            .WithSummary("Stores the new passkey: recovery codes and a token verified by it.");
        app.MapPost(Routes.PasskeyAssertionOptions, BeginAssertionAsync).RequireAuthorization(Policies.SignedIn).WithTags("Sessions")
            .WithName("BeginPasskeySecondFactor").WithSummary("Options for proving one of the account's passkeys.");
        app.MapPost(Routes.PasskeySecondFactor, CompleteAssertionAsync).RequireAuthorization(Policies.SignedIn).RequireRateLimiting(RateLimits.CodeChecks)
            .WithTags("Sessions").WithName("CompletePasskeySecondFactor").WithSummary("A passkey's answer for this session: a verified token.");
        return app;
    }

    private static async Task<Results<Ok<PasskeyOptionsResponse>, ProblemHttpResult>> BeginRegistrationAsync(
        HttpContext context, PasskeyService passkeys, CancellationToken cancellationToken) =>
        await passkeys.BeginRegistrationAsync(Caller.From(context.User), cancellationToken) is { } options
            ? TypedResults.Ok(options)
            : Problems.Forbidden(ErrorCodes.SecondFactorRequired, "Complete your current second factor before adding a passkey.");

    private static async Task<Results<Ok<SecondFactorEnrolled>, ProblemHttpResult>> CompleteRegistrationAsync(
        RegisterPasskeyRequest request, HttpContext context, PasskeyService passkeys, CancellationToken cancellationToken)
    {
        if (IsMalformed(request.State, request.Attestation))
        {
            return Problems.Invalid("A state and an attestation object are required.");
        }

        return await passkeys.CompleteRegistrationAsync(Caller.From(context.User), request.State, request.Attestation, cancellationToken) switch
        {
            ({ } enrolled, _) => TypedResults.Ok(enrolled),
            (_, ErrorCodes.SecondFactorRequired) => Problems.Forbidden(ErrorCodes.SecondFactorRequired, "Complete your current second factor before adding a passkey."),
            _ => Problems.Forbidden(ErrorCodes.InvalidCode, "The passkey could not be verified, or the request expired: start again."),
        };
    }

    private static async Task<Results<Ok<PasskeyOptionsResponse>, ProblemHttpResult>> BeginAssertionAsync(
        HttpContext context, PasskeyService passkeys, CancellationToken cancellationToken) =>
        await passkeys.BeginAssertionAsync(Caller.From(context.User), cancellationToken) is { } options
            ? TypedResults.Ok(options)
            : Problems.NotFound("A passkey of this account");

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> CompleteAssertionAsync(
        PasskeyAssertionRequest request, HttpContext context, SignInService signIn, PasskeyService passkeys, CancellationToken cancellationToken)
    {
        if (IsMalformed(request.State, request.Assertion))
        {
            return Problems.Invalid("A state and an assertion object are required.");
        }

        var outcome = await signIn.VerifyAsync(
            Caller.From(context.User),
            SecondFactors.Passkey,
            account => passkeys.CheckAssertionAsync(account, request.State, request.Assertion, cancellationToken),
            cancellationToken);
        switch (outcome)
        {
            case SignInService.Outcome.Verified verified:
                return TypedResults.Ok(verified.Token);
            case SignInService.Outcome.Locked locked:
                context.Response.Headers.RetryAfter = Math.Ceiling(locked.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                return Problems.Http(ErrorCodes.AccountLocked, StatusCodes.Status429TooManyRequests, "Too many failed attempts: the account is locked for a while.");
            default:
                return Problems.Forbidden(ErrorCodes.InvalidCode, "The passkey's answer does not verify, or the request expired: start again.");
        }
    }

    /// <summary>A request without the two parts is refused before anything is checked (and before it counts as a failure).</summary>
    private static bool IsMalformed(string? state, JsonElement response) =>
        string.IsNullOrEmpty(state) || response.ValueKind != JsonValueKind.Object;
}
