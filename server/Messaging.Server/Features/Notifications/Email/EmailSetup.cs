using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Features.Notifications.Email;

internal static class EmailSetup
{
    private const string DefaultPickupFolder = "mail-pickup";

    /// <summary>
    /// Binds <c>Messaging:Email</c> and registers <see cref="IEmailSender"/>: SMTP when <c>Smtp:Host</c> is set,
    /// otherwise the pickup folder (under <paramref name="dataDirectory"/> unless configured elsewhere).
    /// </summary>
    public static IServiceCollection AddEmail(this IServiceCollection services, IConfiguration configuration, string dataDirectory)
    {
        services.AddOptions<EmailOptions>()
            .Bind(configuration.GetSection(EmailOptions.Section))
            .PostConfigure(o => o.PickupDirectory = Path.GetFullPath(o.PickupDirectory is { Length: > 0 } folder ? folder : DefaultPickupFolder, dataDirectory))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EmailOptions>, EmailOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<EmailMessageBuilder>();

        // Chosen when first resolved rather than now, so that options configured after this call still count.
        services.AddSingleton<IEmailSender>(sp => sp.GetRequiredService<IOptions<EmailOptions>>().Value.Smtp.IsConfigured
            ? ActivatorUtilities.CreateInstance<SmtpEmailSender>(sp)
            : ActivatorUtilities.CreateInstance<PickupFolderEmailSender>(sp));
        services.AddHostedService<EmailStartupLog>();
        return services;
    }
}

/// <summary>
/// Says once, at start-up, where emails go. It also builds the sender, so that an unreadable DKIM key or trusted
/// certificate file stops the start instead of the first email.
/// </summary>
internal sealed partial class EmailStartupLog(IEmailSender sender, IOptions<EmailOptions> options, ILogger<EmailStartupLog> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // What is actually registered, not what the options suggest: a host may replace the sender.
        var smtp = options.Value.Smtp;
        switch (sender)
        {
            case SmtpEmailSender:
                LogSmtp(logger, smtp.Host!, smtp.Port, smtp.Security);
                break;
            case PickupFolderEmailSender pickup:
                LogPickup(logger, pickup.Folder);
                break;
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Email: SMTP {Host}:{Port} ({Security})")]
    private static partial void LogSmtp(ILogger logger, string host, int port, SmtpSecurity security);

    [LoggerMessage(Level = LogLevel.Information, Message = "Email: no SMTP configured; emails are written to {Folder}")]
    private static partial void LogPickup(ILogger logger, string folder);
}
