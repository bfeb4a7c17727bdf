using System.Text.Json;

namespace Messaging.Client.Secure;

/// <summary>
/// The body of a content message (kind 0x01, docs/protocol.md §5.3) as the SDK writes it: UTF-8 JSON with the
/// text and, for a message sent again after a "could not decrypt" notice, the id of the original.
/// </summary>
internal static class ContentCodec
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static byte[] Encode(string text, Guid? resendOf = null) => JsonSerializer.SerializeToUtf8Bytes(new Content(text, resendOf), Json);

    public static bool TryDecode(ReadOnlySpan<byte> body, out string text, out Guid? resendOf)
    {
        try
        {
            var content = JsonSerializer.Deserialize<Content>(body, Json);
            text = content?.Text ?? "";
            resendOf = content?.ResendOf;
            return content?.Text is not null;
        }
        catch (JsonException)
        {
            (text, resendOf) = ("", null);
            return false;
        }
    }

    private sealed record Content(string Text, Guid? ResendOf);
}
