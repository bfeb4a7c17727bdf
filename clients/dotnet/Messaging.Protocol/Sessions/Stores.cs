using Messaging.Protocol.Keys;

namespace Messaging.Protocol.Sessions;

// What the protocol needs from the application's storage (after libsignal's storage traits). The protocol does no
// I/O itself. Objects a store returns stay owned by the store: the caller neither disposes nor keeps them.

/// <summary>The local device's keys and the identities pinned for remote devices (trust on first use).</summary>
public interface IIdentityStore
{
    DeviceKeys LocalKeys { get; }

    /// <summary>The identity pinned for a device, or null if it was never seen.</summary>
    DeviceIdentity? LoadIdentity(Guid deviceId);

    void SaveIdentity(Guid deviceId, DeviceIdentity identity);
}

/// <summary>The session records, one per remote device.</summary>
public interface ISessionStore
{
    SessionRecord? LoadSession(Guid deviceId);

    /// <summary>
    /// Saves the record of a device. The store takes ownership of <paramref name="record"/>, which may be the very
    /// instance <see cref="LoadSession"/> returned, changed in place; it disposes a different record it replaces.
    /// </summary>
    void StoreSession(Guid deviceId, SessionRecord record);

    void RemoveSession(Guid deviceId);
}

/// <summary>The local device's prekey secrets, looked up by id.</summary>
public interface IPrekeyStore
{
    SignedPrekey? LoadSignedPrekey(uint id);

    OneTimePrekey? LoadOneTimePrekey(uint id);

    /// <summary>Deletes a used one-time prekey (the protocol calls this once its prekey message authenticated).</summary>
    void RemoveOneTimePrekey(uint id);

    /// <summary>An ML-KEM prekey, last-resort or one-time (they share one id space).</summary>
    KemPrekey? LoadKemPrekey(uint id);

    /// <summary>Deletes a used one-time ML-KEM prekey; the protocol never calls it for the last-resort one.</summary>
    void RemoveKemPrekey(uint id);
}

/// <summary>All three stores of one device.</summary>
public interface IProtocolStore : IIdentityStore, ISessionStore, IPrekeyStore;
