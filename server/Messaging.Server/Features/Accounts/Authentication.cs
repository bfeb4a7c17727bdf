using Messaging.Contracts;
using Messaging.Server.Features.Audit;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.IdentityModel.Tokens;

namespace Messaging.Server.Features.Accounts;

/// <summary>The named authorization policies. Every endpoint and the hub name one of them.</summary>
internal static class Policies
{
    /// <summary>Any signed-in account.</summary>
    public const string Account = "account";

    /// <summary>A token bound to one of the account's devices (required by the hub).</summary>
    public const string Device = "device";

    /// <summary>The admin role.</summary>
    public const string Admin = "admin";

    /// <summary>Roles that take part in conversations.</summary>
    public const string Member = "member";
}

/// <summary>Marks the policies that need a device-bound token, so that a refusal can say so.</summary>
internal sealed class DeviceRequirement : IAuthorizationRequirement;

internal static class Authentication
{
    public static IServiceCollection AddTokenAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<TokenIssuer>((options, issuer) =>
            {
                options.MapInboundClaims = false;
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
                };
            });

        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Account, p => p.RequireAuthenticatedUser().RequireClaim(Caller.SubjectClaim))
            .AddPolicy(Policies.Device, p => p.RequireAuthenticatedUser().RequireClaim(Caller.DeviceClaim).AddRequirements(new DeviceRequirement()))
            .AddPolicy(Policies.Admin, p => p.RequireAuthenticatedUser().RequireClaim(Caller.RoleClaim, Roles.Admin))
            .AddPolicy(Policies.Member, p => p.RequireAuthenticatedUser().RequireClaim(Caller.RoleClaim, Roles.Member));
        services.AddSingleton<IAuthorizationHandler, DeviceRequirementHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, AuditingAuthorizationHandler>();
        return services;
    }

    /// <summary>The device claim is required by the policy itself; this only lets the marker requirement pass.</summary>
    private sealed class DeviceRequirementHandler : AuthorizationHandler<DeviceRequirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, DeviceRequirement requirement)
        {
            if (context.User.HasClaim(c => c.Type == Caller.DeviceClaim))
            {
                context.Succeed(requirement);
            }

            return Task.CompletedTask;
        }
    }
}
