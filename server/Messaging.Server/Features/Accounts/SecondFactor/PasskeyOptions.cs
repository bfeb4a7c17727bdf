namespace Messaging.Server.Features.Accounts.SecondFactor;

/// <summary>
/// The <c>Messaging:Passkeys</c> configuration section: the WebAuthn relying party. The defaults suit a server run on a
/// developer's machine; in production set <c>Messaging__Passkeys__RelyingPartyId</c> to the site's domain (e.g.
/// <c>messagerie.cabinet.example</c>) and <c>Messaging__Passkeys__Origins__0</c> to the address the browser shows
/// (e.g. <c>https://messagerie.cabinet.example</c>). A passkey is bound to its relying party id for life: changing it
/// later leaves every enrolled passkey unusable, so choose the domain that will last.
/// </summary>
internal sealed class PasskeyOptions
{
    public const string Section = "Messaging:Passkeys";
    public const string DefaultOrigin = "http://localhost:5000";

    /// <summary>The domain passkeys are bound to: the origins' host or a parent domain of it, never an IP address.</summary>
    public string RelyingPartyId { get; set; } = "localhost";

    /// <summary>The name the browser shows when it asks for the passkey.</summary>
    public string RelyingPartyName { get; set; } = "Messagerie sécurisée";

    /// <summary>
    /// The origins (scheme://host[:port]) web pages may ask for a passkey from. Empty means <see cref="DefaultOrigin"/>;
    /// the default is applied after binding, not here, because the configuration binder appends configured array
    /// entries to an initial value instead of replacing it.
    /// </summary>
    public string[] Origins { get; set; } = [];

    /// <summary>
    /// Whether the origins can use the relying party id: WebAuthn wants the id to be each origin's host or a parent
    /// domain of it, and browsers only offer passkeys to secure contexts (https, or http on localhost).
    /// </summary>
    public static bool IsValid(PasskeyOptions options) =>
        !string.IsNullOrWhiteSpace(options.RelyingPartyId)
        && !string.IsNullOrWhiteSpace(options.RelyingPartyName)
        && options.Origins.Length > 0
        && options.Origins.All(origin => IsValidOrigin(origin, options.RelyingPartyId));

    private static bool IsValidOrigin(string origin, string relyingPartyId) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback))
        && uri.GetLeftPart(UriPartial.Authority) == origin
        && (uri.Host.Equals(relyingPartyId, StringComparison.OrdinalIgnoreCase)
            || uri.Host.EndsWith("." + relyingPartyId, StringComparison.OrdinalIgnoreCase));
}
