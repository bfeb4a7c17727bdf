using System.Collections.Frozen;
using System.Security.Claims;
using Messaging.Contracts;
using Messaging.Server.Features.Accounts.Sessions;
using Messaging.Server.Features.Audit;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.IdentityModel.Tokens;

namespace Messaging.Server.Features.Accounts;

/// <summary>
/// The named authorization policies. Every endpoint and the hub name one of them; what a practice role may do is
/// decided after that by <see cref="Practices.AccessRules"/>, in one place.
/// </summary>
internal static class Policies
{
    /// <summary>Any valid token: enough for one's own account set-up (second factor, consent, sign-out).</summary>
    public const string SignedIn = "signed-in";

    /// <summary>A verified session: staff and operators completed their second factor (see <see cref="Caller.IsVerified"/>).</summary>
    public const string Verified = "verified";

    /// <summary>A token bound to one of the account's devices (required by the hub and the key directory).</summary>
    public const string Device = "device";

    /// <summary>The platform operator, verified.</summary>
    public const string Operator = "operator";
}

/// <summary>Marks the policies that need a device-bound token, so that a refusal can say so.</summary>
internal sealed class DeviceRequirement : IAuthorizationRequirement;

/// <summary>Marks the policies that need a verified session, so that a refusal can say a second factor is missing.</summary>
internal sealed class VerifiedRequirement : IAuthorizationRequirement;

internal static class Authentication
{
    public static IServiceCollection AddTokenAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<TokenIssuer>((options, issuer) =>
            {
                options.MapInboundClaims = false;

                // The raw token is not kept beside the caller for the life of a hub connection (see LeanPrincipal).
                options.SaveToken = false;
                options.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = TokenIssuer.Issuer,
                    ValidAudience = TokenIssuer.Audience,
                    IssuerSigningKey = issuer.SigningKey,
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    ClockSkew = TimeSpan.FromSeconds(30),
                    NameClaimType = Caller.SubjectClaim,
                    RoleClaimType = Caller.RoleClaim,
                };
                options.Events = new JwtBearerEvents
                {
                    // Browsers cannot set headers on a WebSocket, so the hub also takes the token from the query
                    // string; RequestLogging keeps it out of the logs.
                    OnMessageReceived = context =>
                    {
                        if (context.HttpContext.Request.Path.StartsWithSegments(Routes.Hub)
                            && context.Request.Query.TryGetValue("access_token", out var token))
                        {
                            context.Token = token.ToString();
                        }

                        return Task.CompletedTask;
                    },
                    OnTokenValidated = async context =>
                    {
                        await RefuseEndedSessionsAsync(context);
                        if (context.Result is null && context.Principal is { } principal)
                        {
                            context.Principal = LeanPrincipal(principal);
                        }
                    },
                };
            });

        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.SignedIn, p => p.RequireAuthenticatedUser().RequireClaim(Caller.SubjectClaim).RequireClaim(Caller.RoleClaim))
            .AddPolicy(Policies.Verified, p => p.RequireAuthenticatedUser().RequireClaim(Caller.SubjectClaim).AddRequirements(new VerifiedRequirement()))
            .AddPolicy(Policies.Device, p => p.RequireAuthenticatedUser().AddRequirements(new VerifiedRequirement(), new DeviceRequirement()))
            .AddPolicy(Policies.Operator, p => p.RequireAuthenticatedUser().RequireClaim(Caller.RoleClaim, Roles.Operator).AddRequirements(new VerifiedRequirement()));
        services.AddSingleton<IAuthorizationHandler, CallerRequirementsHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, AuditingAuthorizationHandler>();
        return services;
    }

    /// <summary>
    /// A device-bound token names its session: once the session is ended (sign-out, device revoked, a replayed refresh
    /// token) the token stops working at once instead of at its expiry.
    /// </summary>
    private static async Task RefuseEndedSessionsAsync(TokenValidatedContext context)
    {
        if (context.Principal is { } principal && Caller.TryFrom(principal) is { SessionId: { } sessionId })
        {
            var sessions = context.HttpContext.RequestServices.GetRequiredService<ISessionStore>();
            if (await sessions.FindAsync(sessionId, context.HttpContext.RequestAborted) is not { IsRevoked: false })
            {
                context.Fail("The session has ended.");
            }
        }
    }

    /// <summary>
    /// Only the claims <see cref="Caller"/> reads. The validated principal also holds the parsed token (its identity
    /// keeps a reference to it) and every registered claim; a hub connection keeps its principal as long as it lives,
    /// which made the token about a fifth of an idle connection's memory.
    /// </summary>
    private static ClaimsPrincipal LeanPrincipal(ClaimsPrincipal validated) =>
        new(new ClaimsIdentity(
            validated.Claims.Where(c => CallerClaims.Contains(c.Type)).Select(c => new Claim(c.Type, c.Value)),
            JwtBearerDefaults.AuthenticationScheme,
            Caller.SubjectClaim,
            Caller.RoleClaim));

    private static readonly FrozenSet<string> CallerClaims =
        FrozenSet.Create(StringComparer.Ordinal, Caller.SubjectClaim, Caller.RoleClaim, Caller.DeviceClaim, Caller.SecondFactorClaim, Caller.SessionClaim);

    /// <summary>Checks the marker requirements against the caller read from the token.</summary>
    private sealed class CallerRequirementsHandler : IAuthorizationHandler
    {
        public Task HandleAsync(AuthorizationHandlerContext context)
        {
            var caller = Caller.TryFrom(context.User);
            foreach (var requirement in context.PendingRequirements.ToList())
            {
                var met = requirement switch
                {
                    DeviceRequirement => caller?.DeviceId is not null,
                    VerifiedRequirement => caller?.IsVerified == true,
                    _ => (bool?)null,
                };
                if (met == true)
                {
                    context.Succeed(requirement);
                }
            }

            return Task.CompletedTask;
        }
    }
}
