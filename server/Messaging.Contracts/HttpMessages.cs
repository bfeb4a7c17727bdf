namespace Messaging.Contracts;

/// <summary>Account roles. Extended by the accounts-and-practices work; the string values are stored, never renumbered.</summary>
public static class Roles
{
    /// <summary>Manages accounts and devices; reads nothing and is never a conversation member.</summary>
    public const string Admin = "admin";

    /// <summary>Takes part in conversations.</summary>
    public const string Member = "member";

    public static bool IsKnown(string role) => role is Admin or Member;
}

public sealed record CreateAccountRequest(string Login, string Password, string Role);

public sealed record AccountCreated(Guid AccountId);

public sealed record AccountInfo(Guid AccountId, string Role);

public sealed record LoginRequest(string Login, string Password);

public sealed record DeviceSessionRequest(Guid DeviceId);

/// <summary>A short-lived access token; <see cref="DeviceId"/> is set when the token is bound to a device.</summary>
public sealed record TokenResponse(string AccessToken, long ExpiresAtUnixMs, Guid AccountId, Guid? DeviceId);

/// <summary>
/// A device's public identity (base64 in JSON): the 129-byte v1 identity of docs/protocol.md §2, whose signature the
/// server verifies at registration.
/// </summary>
public sealed record RegisterDeviceRequest(byte[] Identity);

public sealed record DeviceInfo(Guid DeviceId, Guid AccountId, byte[] Identity, long CreatedAtUnixMs);

public sealed record CreateConversationRequest(IReadOnlyList<Guid> MemberAccountIds);

public sealed record ConversationInfo(Guid ConversationId, IReadOnlyList<Guid> MemberAccountIds, long CreatedAtUnixMs);

/// <summary>Every current device of every member: the recipients a <see cref="SendRequest"/> must cover.</summary>
public sealed record ConversationDevices(Guid ConversationId, IReadOnlyList<DeviceInfo> Devices);
