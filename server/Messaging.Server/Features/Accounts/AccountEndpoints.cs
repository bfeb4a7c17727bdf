using Messaging.Contracts;
using Messaging.Server.Features.Accounts.SecondFactor;
using Messaging.Server.Features.Accounts.Sessions;
using Messaging.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Messaging.Server.Features.Accounts;

internal static class AccountEndpoints
{
    public static IServiceCollection AddAccounts(this IServiceCollection services)
    {
        services.AddOptions<AccountOptions>().BindConfiguration(AccountOptions.Section);
        services.AddSingleton<PasswordHasher>();
        services.AddSingleton<PasswordPolicy>();
        services.AddSingleton<LoginIndex>();
        services.AddSingleton<EmailIndex>();
        services.AddSingleton<PersonalDataProtector>();
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<AccountService>();
        services.AddSingleton<AccountMail>();
        services.AddSingleton<CodeHasher>();
        services.AddSingleton<SecretSealer>();
        services.AddSingleton<SecondFactorService>();
        services.AddSingleton<SignInService>();
        services.AddSingleton<SessionChallenges>();
        services.AddSingleton<DeviceSessionService>();
        services.AddSingleton<PasswordResetService>();
        services.AddSingleton<IRecordSweep, EndedSessionSweep>();
        services.AddPasskeys();
        services.AddTokenAuthentication();
        return services;
    }

    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(Routes.CurrentAccount, MeAsync).RequireAuthorization(Policies.SignedIn).WithTags("Accounts")
            .WithName("GetCurrentAccount").WithSummary("The signed-in account: kind, second factor of this session, practices and roles.");

        var reset = app.MapGroup(Routes.PasswordReset).WithTags("Accounts").AllowAnonymous().RequireRateLimiting(RateLimits.PasswordReset);
        reset.MapPost("", RequestResetAsync).WithName("RequestPasswordReset")
            .WithSummary("Emails a reset link when the login exists (the answer is the same either way).");
        reset.MapPost("/complete", CompleteResetAsync).WithName("CompletePasswordReset")
            .WithSummary("Sets a new password with the emailed token and ends every session; the second factor stays.");
        app.MapSessionEndpoints();
        app.MapSecondFactorEndpoints();
        app.MapPasskeyEndpoints();
        return app;
    }

    private static async Task<Results<Ok<AccountInfo>, ProblemHttpResult>> MeAsync(HttpContext context, AccountService service, CancellationToken cancellationToken) =>
        await service.DescribeAsync(Caller.From(context.User), cancellationToken) is { } info ? TypedResults.Ok(info) : Problems.NotFound("The account");

    private static async Task<Accepted> RequestResetAsync(PasswordResetRequest request, PasswordResetService service, CancellationToken cancellationToken)
    {
        await service.RequestAsync(request, cancellationToken);
        return TypedResults.Accepted((string?)null);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> CompleteResetAsync(
        CompletePasswordResetRequest request, PasswordResetService service, CancellationToken cancellationToken) =>
        await service.CompleteAsync(request, cancellationToken) is { } problem
            ? Problems.Http(problem.Code, problem.Code == ErrorCodes.InvalidRequest ? StatusCodes.Status400BadRequest : StatusCodes.Status403Forbidden, problem.Detail)
            : TypedResults.NoContent();
}
