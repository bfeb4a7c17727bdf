using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Messaging.Server.Features.Keys;

internal static class KeyEndpoints
{
    public static IServiceCollection AddKeys(this IServiceCollection services) =>
        services.AddSingleton<KeyDirectoryService>();

    /// <summary>Every route needs a device token; each handler then checks the device or the account named in the route.</summary>
    public static IEndpointRouteBuilder MapKeyEndpoints(this IEndpointRouteBuilder app)
    {
        var devices = app.MapGroup(Routes.Devices).WithTags("Keys").RequireAuthorization(Policies.Device);
        devices.MapPut("/{deviceId:guid}/prekeys", UploadAsync).WithName("UploadPrekeys")
            .WithMetadata(new RequestSizeLimitAttribute(PrekeyValidation.MaxUploadBytes))
            .WithSummary("Publish the calling device's prekeys: signed and last-resort ones replace, one-time ones add.");
        devices.MapGet("/{deviceId:guid}/prekeys/status", StatusAsync).WithName("GetPrekeyStatus")
            .WithSummary("How many one-time prekeys of each kind the calling device has left, and whether its signed ones are there.");

        app.MapGroup(Routes.Accounts).WithTags("Keys").RequireAuthorization(Policies.Device)
            .MapGet("/{accountId:guid}/bundles", BundlesAsync).WithName("GetPrekeyBundles")
            .WithSummary("One prekey bundle per device of an account the caller shares a conversation with (or its own), consuming one-time prekeys.")
            .RequireRateLimiting(RateLimits.BundleFetches);
        return app;
    }

    private static async Task<Results<Ok<PrekeyStatus>, ProblemHttpResult>> UploadAsync(
        Guid deviceId, UploadPrekeysRequest request, HttpContext context, KeyDirectoryService service, CancellationToken cancellationToken) =>
        Answer(await service.UploadAsync(Caller.From(context.User), deviceId, request, cancellationToken));

    private static async Task<Results<Ok<PrekeyStatus>, ProblemHttpResult>> StatusAsync(
        Guid deviceId, HttpContext context, KeyDirectoryService service, CancellationToken cancellationToken) =>
        Answer(await service.StatusAsync(Caller.From(context.User), deviceId, cancellationToken));

    private static async Task<Results<Ok<PrekeyBundles>, ProblemHttpResult>> BundlesAsync(
        Guid accountId, HttpContext context, KeyDirectoryService service, CancellationToken cancellationToken) =>
        Answer(await service.FetchBundlesAsync(Caller.From(context.User), accountId, cancellationToken));

    private static Results<Ok<T>, ProblemHttpResult> Answer<T>((T? Value, KeyError? Error) outcome)
        where T : class =>
        outcome.Value is { } value ? TypedResults.Ok(value) : Problem(outcome.Error!);

    private static ProblemHttpResult Problem(KeyError error) => error.Code switch
    {
        ErrorCodes.InvalidRequest => Problems.Invalid(error.Detail),
        ErrorCodes.PayloadTooLarge => Problems.Http(error.Code, StatusCodes.Status413PayloadTooLarge, "The upload holds too many prekeys.", error.Detail),
        ErrorCodes.Conflict => Problems.Http(error.Code, StatusCodes.Status409Conflict, "A prekey id is already taken.", error.Detail),
        ErrorCodes.NotFound => Problems.NotFound("The account"),
        _ => Problems.Forbidden(error.Code, error.Detail),
    };
}
