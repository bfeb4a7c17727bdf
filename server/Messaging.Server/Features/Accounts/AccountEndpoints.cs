using Messaging.Contracts;
using Messaging.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Messaging.Server.Features.Accounts;

internal static class AccountEndpoints
{
    public static IServiceCollection AddAccounts(this IServiceCollection services)
    {
        services.AddSingleton<PasswordHasher>();
        services.AddSingleton<LoginIndex>();
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<AccountService>();
        services.AddTokenAuthentication();
        return services;
    }

    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var accounts = app.MapGroup(Routes.Accounts).WithTags("Accounts");
        accounts.MapPost("", CreateAsync).RequireAuthorization(Policies.Admin)
            .WithName("CreateAccount").WithSummary("Create an account (admins only).");
        accounts.MapGet("/me", Me).RequireAuthorization(Policies.Account)
            .WithName("GetCurrentAccount").WithSummary("The signed-in account.");

        var sessions = app.MapGroup(Routes.Sessions).WithTags("Sessions");
        sessions.MapPost("", LoginAsync).AllowAnonymous()
            .WithName("Login").WithSummary("Exchange a login and password for a short-lived access token.");
        sessions.MapPost("/device", DeviceTokenAsync).RequireAuthorization(Policies.Account)
            .WithName("CreateDeviceSession").WithSummary("Exchange an account token for a token bound to one of its devices.");
        return app;
    }

    private static async Task<Results<Created<AccountCreated>, ProblemHttpResult>> CreateAsync(
        CreateAccountRequest request, HttpContext context, AccountService service, CancellationToken cancellationToken) =>
        await service.CreateAsync(request, Caller.From(context.User).AccountId, cancellationToken) switch
        {
            AccountService.CreateOutcome.Created created =>
                TypedResults.Created($"{Routes.Accounts}/{created.AccountId}", new AccountCreated(created.AccountId)),
            AccountService.CreateOutcome.Invalid invalid => Problems.Invalid(invalid.Detail),
            _ => Problems.Http(ErrorCodes.Conflict, StatusCodes.Status409Conflict, "This login is taken."),
        };

    private static Ok<AccountInfo> Me(HttpContext context)
    {
        var caller = Caller.From(context.User);
        return TypedResults.Ok(new AccountInfo(caller.AccountId, caller.Role));
    }

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> LoginAsync(
        LoginRequest request, AccountService service, CancellationToken cancellationToken) =>
        await service.LoginAsync(request, cancellationToken) is { } token
            ? TypedResults.Ok(token)
            : Problems.Http(ErrorCodes.InvalidCredentials, StatusCodes.Status401Unauthorized, "The login or the password is wrong.");

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> DeviceTokenAsync(
        DeviceSessionRequest request, HttpContext context, AccountService service, CancellationToken cancellationToken)
    {
        var (token, error) = await service.IssueDeviceTokenAsync(Caller.From(context.User), request.DeviceId, cancellationToken);
        return token is not null ? TypedResults.Ok(token)
            : error == ErrorCodes.DeviceRevoked ? Problems.Forbidden(ErrorCodes.DeviceRevoked, "This device was revoked.")
            : Problems.NotFound("The device");
    }
}
