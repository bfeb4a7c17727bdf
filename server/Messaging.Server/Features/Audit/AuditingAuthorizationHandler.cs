using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Messaging.Server.Features.Audit;

/// <summary>
/// Every request the authorization policies refuse is audited and answered with problem details; the hub
/// handshake included, since it goes through the same endpoint authorization.
/// </summary>
internal sealed class AuditingAuthorizationHandler(AuditTrail audit) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler standard = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Succeeded)
        {
            await standard.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        var caller = Caller.TryFrom(context.User);
        var target = $"{context.Request.Method} {context.Request.Path}";
        if (authorizeResult.Challenged)
        {
            await audit.DeniedAsync("http.request", null, null, target, ErrorCodes.Unauthenticated);
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Problems.Http(ErrorCodes.Unauthenticated, StatusCodes.Status401Unauthorized, "Sign in first.").ExecuteAsync(context);
            return;
        }

        var reason = policy.Requirements.OfType<VerifiedRequirement>().Any() && caller is { IsVerified: false } ? ErrorCodes.SecondFactorRequired
            : policy.Requirements.OfType<DeviceRequirement>().Any() && caller?.DeviceId is null ? ErrorCodes.DeviceRequired
            : ErrorCodes.Forbidden;
        await audit.DeniedAsync("http.request", caller?.AccountId, caller?.DeviceId, target, reason);
        await Problems.Forbidden(reason, reason switch
        {
            ErrorCodes.SecondFactorRequired => "Complete your second factor first (or enrol one).",
            ErrorCodes.DeviceRequired => "This needs a token bound to a device.",
            _ => "Your role may not do this.",
        }).ExecuteAsync(context);
    }
}
