using Messaging.Protocol.Keys;

namespace Messaging.Protocol.Sessions;

// Snapshots for the encrypted local store (docs/protocol.md §8). They hold secrets as plain arrays: make them only to
// serialize at once, then call Wipe. Every type is a JSON-able record (System.Text.Json, bytes as base64).

/// <summary>Everything a device keeps: its keys, prekeys, pinned identities and sessions.</summary>
internal sealed record DeviceState(
    int Version,
    DeviceKeysState Keys,
    IReadOnlyList<SignedPrekeyState> SignedPrekeys,
    IReadOnlyList<OneTimePrekeyState> OneTimePrekeys,
    IReadOnlyList<KemPrekeyState> KemPrekeys,
    IReadOnlyDictionary<Guid, byte[]> Identities,
    IReadOnlyDictionary<Guid, SessionRecordState> Sessions)
{
    public const int CurrentVersion = 1;

    /// <summary>Overwrites every secret in this snapshot with zeros.</summary>
    public void Wipe()
    {
        Secrets.Wipe(Keys?.SigningSeed, Keys?.AgreementSeed);
        foreach (var k in SignedPrekeys ?? [])
        {
            Secrets.Wipe(k.Seed);
        }

        foreach (var k in OneTimePrekeys ?? [])
        {
            Secrets.Wipe(k.Seed);
        }

        foreach (var k in KemPrekeys ?? [])
        {
            Secrets.Wipe(k.Seed);
        }

        foreach (var record in Sessions?.Values ?? [])
        {
            record.Wipe();
        }
    }
}

/// <summary>The sessions with one device, newest (current) first, and the EKs of sessions dropped since.</summary>
internal sealed record SessionRecordState(IReadOnlyList<SessionState> Sessions, IReadOnlyList<byte[]> RetiredBaseKeys)
{
    public void Wipe()
    {
        foreach (var session in Sessions ?? [])
        {
            session.Ratchet?.Wipe();
        }
    }
}

/// <summary>One session: both identities (129 bytes each), the role, EK.pub, the prekey header while unanswered.</summary>
internal sealed record SessionState(
    int Version,
    byte[] LocalIdentity,
    byte[] RemoteIdentity,
    bool Initiator,
    byte[] BaseKey,
    byte[]? PendingPrekeyHeader,
    RatchetState Ratchet)
{
    public const int CurrentVersion = 1;
}

/// <summary>The Double Ratchet: RK, DHs's secret, DHr, CKs, CKr, Ns, Nr, PN and the skipped message keys (oldest first).</summary>
internal sealed record RatchetState(
    byte[] RootKey,
    byte[] SendingKeySeed,
    byte[]? RemoteKey,
    byte[]? SendingChainKey,
    byte[]? ReceivingChainKey,
    uint SendCount,
    uint ReceiveCount,
    uint PreviousCount,
    IReadOnlyList<SkippedKeyState> SkippedKeys)
{
    public void Wipe()
    {
        Secrets.Wipe(RootKey, SendingKeySeed, SendingChainKey, ReceivingChainKey);
        foreach (var key in SkippedKeys ?? [])
        {
            Secrets.Wipe(key.MessageKey);
        }
    }
}

/// <summary>A skipped message key: the ratchet key and N it belongs to, and when it was stored (it expires 30 days later).</summary>
internal sealed record SkippedKeyState(byte[] RatchetKey, uint Counter, byte[] MessageKey, DateTimeOffset StoredAt);

internal static class Secrets
{
    public static void Wipe(params byte[]?[] secrets)
    {
        foreach (var secret in secrets)
        {
            Primitives.Crypto.Wipe(secret);
        }
    }
}
