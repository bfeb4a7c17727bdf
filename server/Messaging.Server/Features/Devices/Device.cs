namespace Messaging.Server.Features.Devices;

/// <summary>A device of an account. <see cref="Identity"/> is the device's public identity, opaque to the server.</summary>
internal sealed record Device(Guid Id, Guid AccountId, byte[] Identity, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    public bool IsActive => RevokedAt is null;
}
