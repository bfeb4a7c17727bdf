using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Keys;

/// <summary>
/// A secret in pinned memory (the garbage collector never leaves copies behind), wiped when disposed.
/// Reading it after disposal throws.
/// </summary>
internal sealed class SecretBytes : IDisposable
{
    private readonly byte[] bytes;
    private bool disposed;

    public SecretBytes(int length) => bytes = GC.AllocateArray<byte>(length, pinned: true);

    public int Length => bytes.Length;

    public Span<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return bytes;
        }
    }

    public static SecretBytes CopyOf(ReadOnlySpan<byte> value)
    {
        var secret = new SecretBytes(value.Length);
        value.CopyTo(secret.bytes);
        return secret;
    }

    /// <summary>A fresh secret of <paramref name="length"/> bytes from <paramref name="random"/>.</summary>
    public static SecretBytes Random(RandomSource random, int length)
    {
        var secret = new SecretBytes(length);
        random.Fill(secret.bytes);
        return secret;
    }

    public SecretBytes Clone() => CopyOf(Span);

    /// <summary>A plain copy of the secret, for the local store's serializer only.</summary>
    public byte[] Export() => Span.ToArray();

    public void Dispose()
    {
        if (!disposed)
        {
            Crypto.Wipe(bytes);
            disposed = true;
        }
    }
}
