using System.Text.Json;

namespace Messaging.Protocol.Sessions;

/// <summary>
/// The state JSON of the local store (docs/protocol.md §8): a <see cref="DeviceState"/> as UTF-8 JSON (camelCase
/// names, bytes as base64). The caller seals the bytes at once and wipes them; this holds no copy.
/// </summary>
internal static class DeviceStateJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static byte[] Serialize(DeviceState state) => JsonSerializer.SerializeToUtf8Bytes(state, Options);

    /// <summary>Parses a state; <see cref="FormatException"/> for JSON that is not one.</summary>
    public static DeviceState Deserialize(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize<DeviceState>(json, Options) ?? throw new FormatException(Errors.Malformed("device state"));
        }
        catch (JsonException e)
        {
            throw new FormatException(Errors.Malformed("device state"), e);
        }
    }
}
