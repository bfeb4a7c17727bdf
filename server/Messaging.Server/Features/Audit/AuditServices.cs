namespace Messaging.Server.Features.Audit;

internal static class AuditServices
{
    public static IServiceCollection AddAudit(this IServiceCollection services) =>
        services
            .AddSingleton<AuditTrail>()
            .AddSingleton<RefusalTally>()
            .AddSingleton<RefusalTallyFlush>()
            .AddHostedService(sp => sp.GetRequiredService<RefusalTallyFlush>());
}
