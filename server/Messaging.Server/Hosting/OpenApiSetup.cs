using Microsoft.OpenApi;

namespace Messaging.Server.Hosting;

/// <summary>The OpenAPI document at <c>/openapi/v1.json</c>, with the bearer scheme the endpoints use.</summary>
internal static class OpenApiSetup
{
    public static IServiceCollection AddOpenApiDocument(this IServiceCollection services) =>
        services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Messaging server",
                Version = "v1",
                Description = "End-to-end encrypted messaging relay for medical practices. The server stores ciphertext only.",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["Bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "A short-lived access token from POST /api/sessions.",
            };
            return Task.CompletedTask;
        }));
}
