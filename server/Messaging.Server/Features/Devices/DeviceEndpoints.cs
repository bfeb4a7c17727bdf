using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Messaging.Server.Features.Devices;

internal static class DeviceEndpoints
{
    public static IServiceCollection AddDevices(this IServiceCollection services)
    {
        services.AddSingleton<DeviceService>();
        services.AddSingleton<DeviceConnections>();
        services.AddSingleton<DevicePush>();
        return services;
    }

    public static IEndpointRouteBuilder MapDeviceEndpoints(this IEndpointRouteBuilder app)
    {
        var devices = app.MapGroup(Routes.Devices).WithTags("Devices").RequireAuthorization(Policies.Verified);
        devices.MapPost("", RegisterAsync).WithName("RegisterDevice").WithSummary("Register a device of the signed-in account.");
        devices.MapGet("", ListAsync).WithName("ListDevices").WithSummary("The signed-in account's active devices.");
        devices.MapDelete("/{deviceId:guid}", RevokeAsync).WithName("RevokeDevice")
            .WithSummary("Revoke a device (its owner, or an admin of a practice its owner belongs to): it stops receiving, its queue and sessions end.");
        return app;
    }

    private static async Task<Results<Created<DeviceInfo>, ProblemHttpResult>> RegisterAsync(
        RegisterDeviceRequest request, HttpContext context, DeviceService service, CancellationToken cancellationToken)
    {
        if (DeviceService.Validate(request) is { } problem)
        {
            return Problems.Invalid(problem);
        }

        var caller = Caller.From(context.User);
        if (!DeviceService.MayRegister(caller))
        {
            await context.RequestServices.GetRequiredService<Audit.AuditTrail>().DeniedAsync(
                "device.register", caller.AccountId, null, null, ErrorCodes.NewDeviceCodeRequired);
            return Problems.Forbidden(ErrorCodes.NewDeviceCodeRequired, "A new device needs the code sent to your email address.");
        }

        var device = await service.RegisterAsync(caller, request, cancellationToken);
        return TypedResults.Created(Routes.Device(device.Id), DeviceService.ToInfo(device));
    }

    private static async Task<Ok<DeviceInfo[]>> ListAsync(HttpContext context, DeviceService service, CancellationToken cancellationToken) =>
        TypedResults.Ok((await service.ListOwnAsync(Caller.From(context.User), cancellationToken)).Select(DeviceService.ToInfo).ToArray());

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(
        Guid deviceId, HttpContext context, DeviceService service, CancellationToken cancellationToken) =>
        await service.RevokeAsync(Caller.From(context.User), deviceId, cancellationToken) is null
            ? TypedResults.NoContent()
            : Problems.NotFound("The device");
}
