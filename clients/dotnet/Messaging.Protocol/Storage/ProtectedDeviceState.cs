using System.Diagnostics.CodeAnalysis;
using Messaging.Protocol.Primitives;
using Messaging.Protocol.Sessions;

namespace Messaging.Protocol.Storage;

/// <summary>
/// A device's whole protocol state (its keys, prekey secrets, pinned identities and sessions) sealed for storage at
/// rest (docs/protocol.md §8). This is the only way secrets leave the library, and only encrypted.
/// </summary>
public static class ProtectedDeviceState
{
    /// <summary>Seals a snapshot of <paramref name="store"/>; save the result atomically before any envelope leaves the device.</summary>
    public static byte[] Seal(InMemoryProtocolStore store, StorageKey key)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(key);
        var state = store.Export();
        var json = DeviceStateJson.Serialize(state);
        state.Wipe();
        try
        {
            return EncryptedStateFile.Seal(json, key);
        }
        finally
        {
            Crypto.Wipe(json);
        }
    }

    /// <summary>False for a wrong key, a modified file or a state this version cannot read.</summary>
    public static bool TryOpen(ReadOnlySpan<byte> file, StorageKey key, [NotNullWhen(true)] out InMemoryProtocolStore? store)
    {
        ArgumentNullException.ThrowIfNull(key);
        store = null;
        if (!EncryptedStateFile.TryOpen(file, key, out var json))
        {
            return false;
        }

        try
        {
            var state = DeviceStateJson.Deserialize(json);
            try
            {
                store = InMemoryProtocolStore.Restore(state);
                return true;
            }
            finally
            {
                state.Wipe();
            }
        }
        catch (FormatException)
        {
            return false;
        }
        finally
        {
            Crypto.Wipe(json);
        }
    }
}
