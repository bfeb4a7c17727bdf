using Messaging.Server.Hosting;

namespace Messaging.Server.Features.Audit;

internal static class AuditServices
{
    public static IServiceCollection AddAudit(this IServiceCollection services)
    {
        // A retention of zero would delete the whole audit log at the next sweep: refuse to start instead.
        services.AddOptions<MessagingOptions>()
            .Validate(o => o.Audit.Retention >= TimeSpan.FromDays(1), "Messaging:Audit:Retention must be at least one day.")
            .ValidateOnStart();
        return services
            .AddSingleton<AuditTrail>()
            .AddSingleton<RefusalTally>()
            .AddSingleton<RefusalTallyFlush>()
            .AddSingleton<IRecordSweep, AuditRetentionSweep>()
            .AddHostedService(sp => sp.GetRequiredService<RefusalTallyFlush>());
    }
}
