using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Messaging.Client.Secure;

/// <summary>
/// The one file a <see cref="SecureMessenger"/> keeps: its sealed protocol state and its sealed client state side by
/// side, <c>"MSG1-DEVICE" || 0x01 || protocol length (4, little-endian) || protocol || client</c>. Written in one
/// atomic replacement, so the ratchet state, the history and processed marks it goes with, and the refresh token are
/// always from the same save: with two files, a crash between the two writes left a ratchet that had used a message
/// key beside a history without the message (its redelivery then looked like a broken session) or a refresh token
/// the server had already replaced (using it again ends the device's sessions).
/// </summary>
/// <remarks>
/// Each part is sealed and authenticated on its own with the storage key (docs/protocol.md §8). Someone able to
/// write the folder could pair parts of two saves, as they could put back an older file whole.
/// </remarks>
internal static class DeviceStateFile
{
    public const string Name = "device";

    /// <summary>The two files of SDK versions before the single file; read once, removed at the next save.</summary>
    public static readonly string[] LegacyNames = ["protocol", "client"];

    private const byte Version = 0x01;
    private const int HeaderLength = 11 + 1 + 4;

    private static ReadOnlySpan<byte> Magic => "MSG1-DEVICE"u8;

    public static byte[] Combine(ReadOnlySpan<byte> protocol, ReadOnlySpan<byte> client)
    {
        var file = new byte[checked(HeaderLength + protocol.Length + client.Length)];
        Magic.CopyTo(file);
        file[Magic.Length] = Version;
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(Magic.Length + 1), protocol.Length);
        protocol.CopyTo(file.AsSpan(HeaderLength));
        client.CopyTo(file.AsSpan(HeaderLength + protocol.Length));
        return file;
    }

    /// <summary>False when the bytes are not a version 1 device file (magic, version, lengths).</summary>
    public static bool TrySplit(byte[] file, [NotNullWhen(true)] out byte[]? protocol, [NotNullWhen(true)] out byte[]? client)
    {
        (protocol, client) = (null, null);
        if (file.Length < HeaderLength || !file.AsSpan(0, Magic.Length).SequenceEqual(Magic) || file[Magic.Length] != Version)
        {
            return false;
        }

        var protocolLength = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(Magic.Length + 1));
        if (protocolLength < 0 || protocolLength > file.Length - HeaderLength)
        {
            return false;
        }

        protocol = file[HeaderLength..(HeaderLength + protocolLength)];
        client = file[(HeaderLength + protocolLength)..];
        return true;
    }
}
