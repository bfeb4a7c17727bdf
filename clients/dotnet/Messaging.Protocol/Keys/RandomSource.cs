using System.Buffers.Binary;
using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Keys;

/// <summary>
/// Where the protocol draws its randomness: key seeds, the ephemeral key EK, every new ratchet key pair, and the
/// ML-KEM encapsulation. Production code always uses <see cref="Secure"/>; a <see cref="SeededRandomSource"/> makes
/// sessions reproducible for test vectors and is reachable only from inside this assembly and its tests.
/// </summary>
/// <remarks>
/// Draw order, for vectors: a session's initiator draws EK's seed (32), then the KEM encapsulation seed (32), then its
/// first ratchet key's seed (32); each DH ratchet step while receiving draws one ratchet key seed (32).
/// </remarks>
internal abstract class RandomSource
{
    /// <summary>libsodium's <c>randombytes_buf</c>; ML-KEM encapsulation draws its own randomness inside libsodium.</summary>
    public static RandomSource Secure { get; } = new SecureRandomSource();

    public abstract void Fill(Span<byte> buffer);

    /// <summary>ML-KEM-768 encapsulation to <paramref name="publicKey"/>, seeded from this source.</summary>
    public virtual bool TryKemEncapsulate(ReadOnlySpan<byte> publicKey, Span<byte> ciphertext, Span<byte> sharedSecret)
    {
        Span<byte> seed = stackalloc byte[32];
        try
        {
            Fill(seed);
            return Crypto.TryKemEncapsulate(publicKey, ciphertext, sharedSecret, seed);
        }
        finally
        {
            Crypto.Wipe(seed);
        }
    }

    private sealed class SecureRandomSource : RandomSource
    {
        public override void Fill(Span<byte> buffer) => Crypto.RandomBytes(buffer);

        public override bool TryKemEncapsulate(ReadOnlySpan<byte> publicKey, Span<byte> ciphertext, Span<byte> sharedSecret) =>
            Crypto.TryKemEncapsulate(publicKey, ciphertext, sharedSecret);
    }
}

/// <summary>
/// A deterministic stream for test vectors only: block <c>i</c> is <c>SHA512(seed || u64(i))</c>.
/// Never use it for real keys: anyone who knows the seed knows every key.
/// </summary>
internal sealed class SeededRandomSource : RandomSource
{
    private readonly byte[] seed;
    private readonly byte[] block = new byte[Sizes.Sha512];
    private ulong counter;
    private int used = Sizes.Sha512;

    public SeededRandomSource(ReadOnlySpan<byte> seed) => this.seed = seed.ToArray();

    public override void Fill(Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            if (used == block.Length)
            {
                var input = new byte[seed.Length + 8];
                seed.CopyTo(input, 0);
                BinaryPrimitives.WriteUInt64BigEndian(input.AsSpan(seed.Length), counter++);
                Crypto.Sha512(input, block);
                used = 0;
            }

            var take = Math.Min(buffer.Length, block.Length - used);
            block.AsSpan(used, take).CopyTo(buffer);
            used += take;
            buffer = buffer[take..];
        }
    }
}
