using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Devices;
using Messaging.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Messaging.Server.Features.Conversations;

internal static class ConversationEndpoints
{
    public static IServiceCollection AddConversations(this IServiceCollection services) =>
        services.AddSingleton<ConversationService>().AddSingleton<SendRoutes>().AddSingleton<RoutingChanges>();

    public static IEndpointRouteBuilder MapConversationEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Routes.Conversations).WithTags("Conversations").RequireAuthorization(Policies.Verified);
        group.MapPost("", CreateAsync).WithName("CreateConversation").WithSummary("Start a conversation in a practice with people the caller's role there may reach.");
        group.MapGet("", ListAsync).WithName("ListConversations").WithSummary("The conversations the caller is a member of.");
        group.MapGet("/{conversationId:guid}/devices", DevicesAsync).WithName("ListConversationDevices")
            .WithSummary("Every active device of every member: the recipients a message must be encrypted for.");
        return app;
    }

    private static async Task<Results<Created<ConversationInfo>, ProblemHttpResult>> CreateAsync(
        CreateConversationRequest request, HttpContext context, ConversationService service, CancellationToken cancellationToken) =>
        await service.CreateAsync(Caller.From(context.User), request, cancellationToken) switch
        {
            ConversationService.CreateOutcome.Created created =>
                TypedResults.Created($"{Routes.Conversations}/{created.Conversation.Id}", ConversationService.ToInfo(created.Conversation)),
            ConversationService.CreateOutcome.Invalid invalid => Problems.Invalid(invalid.Detail),
            _ => Problems.Forbidden(ErrorCodes.Forbidden, "Your roles in this practice do not allow a conversation with these people."),
        };

    private static async Task<Ok<ConversationInfo[]>> ListAsync(HttpContext context, ConversationService service, CancellationToken cancellationToken) =>
        TypedResults.Ok((await service.ListAsync(Caller.From(context.User), cancellationToken)).Select(ConversationService.ToInfo).ToArray());

    private static async Task<Results<Ok<ConversationDevices>, ProblemHttpResult>> DevicesAsync(
        Guid conversationId, HttpContext context, ConversationService service, CancellationToken cancellationToken)
    {
        var conversation = await service.FindForMemberAsync(Caller.From(context.User), conversationId, "conversation.devices", cancellationToken);
        if (conversation is null)
        {
            return Problems.NotFound("The conversation");
        }

        var devices = await service.ListDevicesAsync(conversation, cancellationToken);
        return TypedResults.Ok(new ConversationDevices(conversation.Id, [.. devices.Select(DeviceService.ToInfo)]));
    }
}
