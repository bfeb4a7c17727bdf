using System.Diagnostics.CodeAnalysis;
using Messaging.Protocol.Keys;

namespace Messaging.Protocol.Sessions;

/// <summary>
/// The protocol for one local device over the application's store: starts sessions from bundles, encrypts for a
/// device, decrypts prekey and normal messages, pins identities on first use and refuses changed ones until the
/// application accepts them with <see cref="TrustIdentity"/>. No I/O, no clock: the caller passes <c>now</c>.
/// Thread-safe (one operation at a time).
/// </summary>
public sealed partial class ProtocolDevice
{
    private readonly IProtocolStore store;
    private readonly RandomSource random;
    private readonly Lock gate = new();

    public ProtocolDevice(IProtocolStore store)
        : this(store, RandomSource.Secure)
    {
    }

    /// <summary>With injected randomness: for test vectors only.</summary>
    internal ProtocolDevice(IProtocolStore store, RandomSource random)
    {
        ArgumentNullException.ThrowIfNull(store);
        this.store = store;
        this.random = random;
    }

    public DeviceIdentity Identity => store.LocalKeys.Identity;

    public bool HasSession(Guid deviceId)
    {
        lock (gate)
        {
            return store.LoadSession(deviceId)?.Current is not null;
        }
    }

    /// <summary>
    /// Verifies a bundle (§3), checks it against the pinned identity (pinning it if the device is new) and makes a new
    /// session with the device its current one.
    /// </summary>
    public bool TryStartSession(PrekeyBundle bundle, out SessionFailure failure)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        lock (gate)
        {
            failure = StartSession(bundle);
            return failure == SessionFailure.None;
        }
    }

    /// <summary><see cref="TryStartSession"/>, then <see cref="EncryptFor(Guid, PlaintextKind, ReadOnlySpan{byte}, DateTimeOffset)"/>.</summary>
    public bool TryEncryptFor(
        PrekeyBundle bundle, PlaintextKind kind, ReadOnlySpan<byte> body, DateTimeOffset now, [NotNullWhen(true)] out byte[]? envelope, out SessionFailure failure)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        Plaintext.CheckArguments(kind, body);
        envelope = null;
        lock (gate)
        {
            failure = StartSession(bundle);
            if (failure == SessionFailure.None)
            {
                envelope = Encrypt(bundle.DeviceId, kind, body, now);
            }

            return envelope is not null;
        }
    }

    /// <summary>Encrypts with the current session with <paramref name="deviceId"/>; throws if there is none.</summary>
    public byte[] EncryptFor(Guid deviceId, PlaintextKind kind, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        Plaintext.CheckArguments(kind, body);
        lock (gate)
        {
            return Encrypt(deviceId, kind, body, now);
        }
    }

    /// <summary>
    /// Accepts <paramref name="identity"/> for <paramref name="deviceId"/> after the user checked it (§6). If it
    /// replaces a different pinned identity, the sessions made with the old one are deleted.
    /// </summary>
    public void TrustIdentity(Guid deviceId, DeviceIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        lock (gate)
        {
            var pinned = store.LoadIdentity(deviceId);
            if (identity.Equals(pinned))
            {
                return;
            }

            store.SaveIdentity(deviceId, identity);
            if (pinned is not null)
            {
                store.RemoveSession(deviceId);
            }
        }
    }

    private SessionFailure StartSession(PrekeyBundle bundle)
    {
        if (!bundle.TryVerify(out var verified))
        {
            return SessionFailure.InvalidBundle;
        }

        var pinned = store.LoadIdentity(verified.DeviceId);
        if (pinned is not null && !pinned.Equals(verified.Identity))
        {
            return SessionFailure.UntrustedIdentity;
        }

        if (!Session.TryInitiate(store.LocalKeys, verified, random, out var session))
        {
            return SessionFailure.InvalidKey;
        }

        var record = store.LoadSession(verified.DeviceId) ?? new SessionRecord();
        record.Promote(session);
        store.StoreSession(verified.DeviceId, record);
        if (pinned is null)
        {
            store.SaveIdentity(verified.DeviceId, verified.Identity);
        }

        return SessionFailure.None;
    }

    private byte[] Encrypt(Guid deviceId, PlaintextKind kind, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        var record = store.LoadSession(deviceId);
        var session = record?.Current ?? throw new InvalidOperationException(Errors.NoSession());
        var envelope = session.Encrypt(kind, body, now);
        store.StoreSession(deviceId, record!);
        return envelope;
    }
}
