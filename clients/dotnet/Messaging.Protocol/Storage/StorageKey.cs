using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Storage;

/// <summary>
/// The 32-byte key an application gives for its state file (docs/protocol.md §8, <c>kdf = 0x00</c>), e.g. one kept in
/// the operating system's key store. The bytes live in pinned memory and are wiped when the key is disposed.
/// Exporting them is off unless the key was created with <c>allowExport</c>.
/// </summary>
public sealed class StorageKey : IDisposable
{
    public const int Length = Sizes.AeadKey;

    private readonly byte[] key = GC.AllocateArray<byte>(Length, pinned: true);
    private bool disposed;

    private StorageKey(bool allowExport) => IsExportAllowed = allowExport;

    public bool IsExportAllowed { get; }

    /// <summary>A new random key.</summary>
    public static StorageKey Generate(bool allowExport = false)
    {
        var storageKey = new StorageKey(allowExport);
        Crypto.RandomBytes(storageKey.key);
        return storageKey;
    }

    /// <summary>A key from 32 bytes; they are copied, so the caller wipes its own copy.</summary>
    public static StorageKey Import(ReadOnlySpan<byte> key, bool allowExport = false)
    {
        if (key.Length != Length)
        {
            throw new ArgumentException(Errors.WrongLength("storage key", Length, key.Length), nameof(key));
        }

        var storageKey = new StorageKey(allowExport);
        key.CopyTo(storageKey.key);
        return storageKey;
    }

    /// <summary>Copies the key out, when export was allowed at creation.</summary>
    public void Export(Span<byte> destination)
    {
        if (!IsExportAllowed)
        {
            throw new InvalidOperationException(Errors.PrivateKeyExport());
        }

        if (destination.Length != Length)
        {
            throw new ArgumentException(Errors.WrongLength("destination", Length, destination.Length), nameof(destination));
        }

        Secret.CopyTo(destination);
    }

    internal ReadOnlySpan<byte> Secret
    {
        get
        {
            if (disposed)
            {
                throw new ObjectDisposedException(nameof(StorageKey), Errors.Disposed("storage key"));
            }

            return key;
        }
    }

    public void Dispose()
    {
        if (!disposed)
        {
            Crypto.Wipe(key);
            disposed = true;
        }
    }
}
