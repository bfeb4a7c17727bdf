using Messaging.Contracts;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Conversations;
using Messaging.Server.Features.Delivery;
using Messaging.Server.Features.Devices;
using Messaging.Server.Features.Keys;
using Messaging.Server.Features.Notifications;
using Messaging.Server.Features.Notifications.Email;
using Messaging.Server.Features.Practices;
using Messaging.Server.Storage;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Messaging.Server.Hosting;

/// <summary>Builds the server. Program.cs runs it; the tests build it too, on loopback with their own settings.</summary>
internal static class ServerHost
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // The web client's files are copied next to the binaries (see the project file), for `dotnet run` too.
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
        });
        builder.ConfigureLogging();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        configure?.Invoke(builder);

        var options = builder.Configuration.GetSection(MessagingOptions.Section).Get<MessagingOptions>() ?? new MessagingOptions();
        var dataDirectory = Path.GetFullPath(options.DataDirectory, builder.Environment.ContentRootPath);
        builder.Services.Configure<MessagingOptions>(builder.Configuration.GetSection(MessagingOptions.Section));
        builder.Services.AddSingleton(ServerKeys.Load(options.Keys, dataDirectory));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddAudit();
        builder.Services.AddSingleton<RecordSweeper>().AddHostedService(sp => sp.GetRequiredService<RecordSweeper>());
        builder.Services.AddErrorHandling();
        builder.Services.AddTrustedProxies(options.TrustedProxies);
        builder.Services.AddOpenApiDocument();
        builder.Services
            .AddStorage(options, dataDirectory)
            .AddEmail(builder.Configuration, dataDirectory)
            .AddAccounts()
            .AddPractices()
            .AddNotifications()
            .AddDevices()
            .AddConversations()
            .AddDelivery()
            .AddScaleOut(options.Redis)
            .AddKeys()
            .AddRateLimits();

        var app = builder.Build();
        app.UseTrustedProxies(options.TrustedProxies);
        app.UseMiddleware<RequestLogging>();
        app.UseErrorHandling();
        app.UseMiddleware<SecurityHeaders>();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(15) });
        app.UseMiddleware<OriginAllowList>();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimits();

        app.MapHealthChecks(Routes.HealthLive, new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks(Routes.HealthReady, new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") }).AllowAnonymous();
        app.MapOpenApi().AllowAnonymous();
        app.MapAccountEndpoints();
        app.MapPracticeEndpoints();
        app.MapNotificationEndpoints();
        app.MapDeviceEndpoints();
        app.MapConversationEndpoints();
        app.MapDeliveryHub();
        app.MapKeyEndpoints();
        return app;
    }
}
