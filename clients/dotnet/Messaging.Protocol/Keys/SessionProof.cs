using System.Text;

namespace Messaging.Protocol.Keys;

/// <summary>
/// What a device signs with its identity key IKs to open or refresh a server session (docs/protocol.md §2):
/// <c>"MSG1-SESSION" || challenge || device id (16 bytes, RFC 4122 order)</c>. The server hands out the challenge, so a
/// proof cannot be made in advance, and it names the device, so a proof for one device opens no other. A stolen
/// access or refresh token is useless without the device's private key.
/// </summary>
public static class SessionProof
{
    private static readonly byte[] Label = Encoding.ASCII.GetBytes("MSG1-SESSION");

    public static byte[] Message(ReadOnlySpan<byte> challenge, Guid deviceId)
    {
        var message = new byte[Label.Length + challenge.Length + 16];
        Label.CopyTo(message, 0);
        challenge.CopyTo(message.AsSpan(Label.Length));
        deviceId.TryWriteBytes(message.AsSpan(Label.Length + challenge.Length), bigEndian: true, out _);
        return message;
    }

    public static bool Verify(DeviceIdentity identity, ReadOnlySpan<byte> challenge, Guid deviceId, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return signature.Length == Primitives.Sizes.Ed25519Signature && identity.Verifies(Message(challenge, deviceId), signature);
    }
}
