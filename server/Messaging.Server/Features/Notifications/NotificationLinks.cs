using System.Security.Cryptography;
using System.Text;
using Messaging.Server.Features.Accounts.SecondFactor;
using Messaging.Server.Hosting;

namespace Messaging.Server.Features.Notifications;

/// <summary>
/// The token of a notification's link: HMAC-SHA-256 of the notification id under a server key (256 bits, opaque,
/// unguessable without the key). Being derived, it is the same on every retry, so two copies of one email carry the
/// same link; the store keeps only its SHA-256.
/// </summary>
internal sealed class NotificationLinks
{
    /// <summary>The server route that opens a link: <c>/n/{token}</c>.</summary>
    public const string Route = "/n";

    private readonly byte[] key;

    public NotificationLinks(ServerKeys keys) =>
        key = HKDF.DeriveKey(HashAlgorithmName.SHA256, keys.TokenSigningKey, 32, info: Encoding.ASCII.GetBytes("messaging-notification-link-v1"));

    public string TokenFor(Guid notificationId) => TokenHash.Base64Url(HMACSHA256.HashData(key, notificationId.ToByteArray()));

    public static string Url(string publicBaseUrl, string token) => $"{publicBaseUrl.TrimEnd('/')}{Route}/{token}";
}
