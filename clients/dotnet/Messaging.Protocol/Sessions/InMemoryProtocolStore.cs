using Messaging.Protocol.Keys;

namespace Messaging.Protocol.Sessions;

/// <summary>
/// A store in memory, for tests and as the live state behind the encrypted local store: <see cref="Export"/> and
/// <see cref="Restore(DeviceState)"/> convert it to and from a <see cref="DeviceState"/> snapshot. It owns and disposes every key
/// and session it holds. Thread-safe.
/// </summary>
public sealed class InMemoryProtocolStore : IProtocolStore, IDisposable
{
    private readonly Lock gate = new();
    private readonly Dictionary<Guid, DeviceIdentity> identities = [];
    private readonly Dictionary<Guid, SessionRecord> sessions = [];
    private readonly Dictionary<uint, SignedPrekey> signedPrekeys = [];
    private readonly Dictionary<uint, OneTimePrekey> oneTimePrekeys = [];
    private readonly Dictionary<uint, KemPrekey> kemPrekeys = [];

    /// <summary>A store for the device with <paramref name="localKeys"/>; the store takes ownership of them.</summary>
    public InMemoryProtocolStore(DeviceKeys localKeys)
    {
        ArgumentNullException.ThrowIfNull(localKeys);
        LocalKeys = localKeys;
    }

    public DeviceKeys LocalKeys { get; }

    public int OneTimePrekeyCount => Locked(() => oneTimePrekeys.Count);

    public int KemPrekeyCount => Locked(() => kemPrekeys.Count);

    public DeviceIdentity? LoadIdentity(Guid deviceId) => Locked(() => identities.GetValueOrDefault(deviceId));

    public void SaveIdentity(Guid deviceId, DeviceIdentity identity) => Locked(() => identities[deviceId] = identity);

    public SessionRecord? LoadSession(Guid deviceId) => Locked(() => sessions.GetValueOrDefault(deviceId));

    public void StoreSession(Guid deviceId, SessionRecord record) => Locked(() => Replace(sessions, deviceId, record));

    public void RemoveSession(Guid deviceId) => Locked(() => Remove(sessions, deviceId));

    /// <summary>Adds or replaces a signed prekey; the store takes ownership.</summary>
    public void AddSignedPrekey(SignedPrekey prekey) => Locked(() => Replace(signedPrekeys, prekey.Id, prekey));

    public void RemoveSignedPrekey(uint id) => Locked(() => Remove(signedPrekeys, id));

    public SignedPrekey? LoadSignedPrekey(uint id) => Locked(() => signedPrekeys.GetValueOrDefault(id));

    public void AddOneTimePrekey(OneTimePrekey prekey) => Locked(() => Replace(oneTimePrekeys, prekey.Id, prekey));

    public OneTimePrekey? LoadOneTimePrekey(uint id) => Locked(() => oneTimePrekeys.GetValueOrDefault(id));

    public void RemoveOneTimePrekey(uint id) => Locked(() => Remove(oneTimePrekeys, id));

    public void AddKemPrekey(KemPrekey prekey) => Locked(() => Replace(kemPrekeys, prekey.Id, prekey));

    public KemPrekey? LoadKemPrekey(uint id) => Locked(() => kemPrekeys.GetValueOrDefault(id));

    public void RemoveKemPrekey(uint id) => Locked(() => Remove(kemPrekeys, id));

    /// <summary>A snapshot of everything, secrets included, for the state serializer only. Wipe it after use.</summary>
    internal DeviceState Export() => Locked(() => new DeviceState(
        DeviceState.CurrentVersion,
        LocalKeys.ExportSecrets(),
        [.. signedPrekeys.Values.Select(k => k.ExportSecrets())],
        [.. oneTimePrekeys.Values.Select(k => k.ExportSecrets())],
        [.. kemPrekeys.Values.Select(k => k.ExportSecrets())],
        identities.ToDictionary(p => p.Key, p => p.Value.ToArray()),
        sessions.ToDictionary(p => p.Key, p => p.Value.Export())));

    internal static InMemoryProtocolStore Restore(DeviceState state) => Restore(state, RandomSource.Secure);

    /// <summary>A store from a snapshot; <paramref name="random"/> feeds the restored sessions' future ratchet steps.</summary>
    internal static InMemoryProtocolStore Restore(DeviceState state, RandomSource random)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Version != DeviceState.CurrentVersion)
        {
            throw new FormatException(Errors.UnsupportedStateVersion(state.Version));
        }

        if (state.Keys is null || state.SignedPrekeys is null || state.OneTimePrekeys is null || state.KemPrekeys is null
            || state.Identities is null || state.Sessions is null)
        {
            throw new FormatException(Errors.Malformed("device state"));
        }

        var store = new InMemoryProtocolStore(DeviceKeys.Restore(state.Keys));
        try
        {
            foreach (var k in state.SignedPrekeys)
            {
                store.AddSignedPrekey(SignedPrekey.Restore(k));
            }

            foreach (var k in state.OneTimePrekeys)
            {
                store.AddOneTimePrekey(OneTimePrekey.Restore(k));
            }

            foreach (var k in state.KemPrekeys)
            {
                store.AddKemPrekey(KemPrekey.Restore(k));
            }

            foreach (var (deviceId, identity) in state.Identities)
            {
                store.identities[deviceId] = DeviceIdentity.Parse(identity);
            }

            foreach (var (deviceId, record) in state.Sessions)
            {
                store.sessions[deviceId] = SessionRecord.Restore(record, random);
            }

            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            foreach (var d in new IEnumerable<IDisposable>[] { sessions.Values, signedPrekeys.Values, oneTimePrekeys.Values, kemPrekeys.Values })
            {
                foreach (var item in d)
                {
                    item.Dispose();
                }
            }

            sessions.Clear();
            signedPrekeys.Clear();
            oneTimePrekeys.Clear();
            kemPrekeys.Clear();
            LocalKeys.Dispose();
        }
    }

    private static void Replace<TKey, TValue>(Dictionary<TKey, TValue> map, TKey key, TValue value)
        where TKey : notnull
        where TValue : class, IDisposable
    {
        ArgumentNullException.ThrowIfNull(value);
        if (map.TryGetValue(key, out var old) && !ReferenceEquals(old, value))
        {
            old.Dispose();
        }

        map[key] = value;
    }

    private static void Remove<TKey, TValue>(Dictionary<TKey, TValue> map, TKey key)
        where TKey : notnull
        where TValue : IDisposable
    {
        if (map.Remove(key, out var old))
        {
            old.Dispose();
        }
    }

    private T Locked<T>(Func<T> action)
    {
        lock (gate)
        {
            return action();
        }
    }

    private void Locked(Action action)
    {
        lock (gate)
        {
            action();
        }
    }
}
