using System.Text;
using Messaging.Protocol.Primitives;
using Messaging.Protocol.Storage;

namespace Messaging.Protocol.Tests.Storage;

/// <summary>The encrypted state file (docs/protocol.md §8).</summary>
public sealed class EncryptedStateFileTests
{
    private const string Passphrase = "correct horse battery staple";
    private static readonly byte[] State = Encoding.UTF8.GetBytes("""{"identity":"secret key material","sessions":[{"device":"d1","root":"aabbcc"}]}""");

    [Fact]
    public void Seal_KeyMode_RoundTrips()
    {
        using var key = StorageKey.Generate();

        var file = EncryptedStateFile.Seal(State, key);

        Assert.True(EncryptedStateFile.TryOpen(file, key, out var opened));
        Assert.Equal(State, opened);
    }

    [Fact]
    public void Seal_PassphraseMode_RoundTrips()
    {
        var file = EncryptedStateFile.Seal(State, Passphrase);

        Assert.True(EncryptedStateFile.TryOpen(file, Passphrase, out var opened));
        Assert.Equal(State, opened);
    }

    [Fact]
    public void Seal_EmptyState_RoundTrips()
    {
        using var key = StorageKey.Generate();

        var file = EncryptedStateFile.Seal([], key);

        Assert.Equal(EncryptedStateFile.Overhead, file.Length);
        Assert.True(EncryptedStateFile.TryOpen(file, key, out var opened));
        Assert.Empty(opened);
    }

    [Fact]
    public void Seal_SpanOverloads_RoundTrip()
    {
        using var key = StorageKey.Generate();
        var file = new byte[EncryptedStateFile.SealedLength(State.Length)];
        EncryptedStateFile.Seal(State, key, file);
        var opened = new byte[EncryptedStateFile.OpenedLength(file.Length)];

        Assert.True(EncryptedStateFile.TryOpen(file, key, opened));

        Assert.Equal(State, opened);
    }

    [Fact]
    public void Seal_KeyMode_HeaderIsAsSpecified()
    {
        using var key = StorageKey.Generate(allowExport: true);

        var file = EncryptedStateFile.Seal(State, key);

        // "MSG1-STORE" || 0x01 || kdf 0x00 || salt ZERO(16) || nonce (24) || AEAD(...), 52 + |state| + 16 bytes.
        Assert.Equal(52 + State.Length + 16, file.Length);
        Assert.Equal("MSG1-STORE"u8.ToArray(), file[..10]);
        Assert.Equal(0x01, file[10]);
        Assert.Equal(0x00, file[11]);
        Assert.Equal(new byte[16], file[12..28]);
        Assert.False(file[28..52].All(b => b == 0));
        Assert.True(EncryptedStateFile.TryReadKdf(file, out var kdf));
        Assert.Equal(StateFileKdf.ApplicationKey, kdf);

        // Opened independently with the primitives: AEAD(key, nonce, ad = the 52 header bytes, state).
        var rawKey = new byte[32];
        key.Export(rawKey);
        var opened = new byte[State.Length];
        Assert.True(Crypto.TryAeadDecrypt(rawKey, file.AsSpan(28..52), file.AsSpan(..52), file.AsSpan(52..), opened));
        Assert.Equal(State, opened);
    }

    [Fact]
    public void Seal_PassphraseMode_HeaderAndArgon2idParametersAreAsSpecified()
    {
        var file = EncryptedStateFile.Seal(State, Passphrase);

        Assert.Equal(52 + State.Length + 16, file.Length);
        Assert.Equal("MSG1-STORE"u8.ToArray(), file[..10]);
        Assert.Equal(0x01, file[10]);
        Assert.Equal(0x01, file[11]);
        Assert.False(file[12..28].All(b => b == 0));
        Assert.True(EncryptedStateFile.TryReadKdf(file, out var kdf));
        Assert.Equal(StateFileKdf.Argon2id, kdf);

        // The key is Argon2id (opslimit 3, memlimit 64 MiB) of the passphrase's UTF-8 bytes with the header's salt.
        var derived = new byte[32];
        Crypto.Argon2id(Encoding.UTF8.GetBytes(Passphrase), file.AsSpan(12..28), 3, 64 * 1024 * 1024, derived);
        var opened = new byte[State.Length];
        Assert.True(Crypto.TryAeadDecrypt(derived, file.AsSpan(28..52), file.AsSpan(..52), file.AsSpan(52..), opened));
        Assert.Equal(State, opened);
    }

    [Fact]
    public void Seal_SameStateTwice_NewNonceEachTime()
    {
        using var key = StorageKey.Generate();

        var first = EncryptedStateFile.Seal(State, key);
        var second = EncryptedStateFile.Seal(State, key);

        Assert.NotEqual(first[28..52], second[28..52]);
        Assert.NotEqual(first[52..], second[52..]);
    }

    [Fact]
    public void Seal_PassphraseTwice_NewSaltAndNonceEachTime()
    {
        var first = EncryptedStateFile.Seal(State, Passphrase);
        var second = EncryptedStateFile.Seal(State, Passphrase);

        Assert.NotEqual(first[12..28], second[12..28]);
        Assert.NotEqual(first[28..52], second[28..52]);
    }

    [Fact]
    public void Seal_BothModes_SealedBytesDoNotContainThePlaintext()
    {
        using var key = StorageKey.Generate();
        var state = Encoding.UTF8.GetBytes(new string('A', 200) + "secret key material" + new string('A', 200));

        foreach (var file in new[] { EncryptedStateFile.Seal(state, key), EncryptedStateFile.Seal(state, Passphrase) })
        {
            Assert.Equal(-1, file.AsSpan().IndexOf("secret key material"u8));
            Assert.Equal(-1, file.AsSpan().IndexOf("AAAAAAAA"u8));
        }
    }

    [Fact]
    public void TryOpen_WrongKey_ReturnsFalse()
    {
        using var key = StorageKey.Generate();
        using var other = StorageKey.Generate();
        var file = EncryptedStateFile.Seal(State, key);

        Assert.False(EncryptedStateFile.TryOpen(file, other, out var opened));
        Assert.Null(opened);
    }

    [Fact]
    public void TryOpen_WrongPassphrase_ReturnsFalse()
    {
        var file = EncryptedStateFile.Seal(State, Passphrase);

        Assert.False(EncryptedStateFile.TryOpen(file, "correct horse battery stapler", out var opened));
        Assert.False(EncryptedStateFile.TryOpen(file, "", out _));
        Assert.Null(opened);
    }

    [Fact]
    public void TryOpen_OtherMode_ReturnsFalse()
    {
        using var key = StorageKey.Generate();
        var keyFile = EncryptedStateFile.Seal(State, key);
        var passphraseFile = EncryptedStateFile.Seal(State, Passphrase);

        Assert.False(EncryptedStateFile.TryOpen(keyFile, Passphrase, out _));
        Assert.False(EncryptedStateFile.TryOpen(passphraseFile, key, out _));
    }

    [Fact]
    public void TryOpen_KeyModeAnyByteModified_ReturnsFalse()
    {
        using var key = StorageKey.Generate();
        var file = EncryptedStateFile.Seal(State, key);
        var opened = new byte[State.Length];

        for (var i = 0; i < file.Length; i++)
        {
            for (var bit = 0; bit < 8; bit++)
            {
                file[i] ^= (byte)(1 << bit);
                Assert.False(EncryptedStateFile.TryOpen(file, key, opened), $"byte {i}, bit {bit}");
                file[i] ^= (byte)(1 << bit);
            }
        }

        Assert.All(opened, b => Assert.Equal(0, b));
        Assert.True(EncryptedStateFile.TryOpen(file, key, opened));
        Assert.Equal(State, opened);
    }

    [Fact]
    public void TryOpen_PassphraseModeByteModifiedInAnyField_ReturnsFalse()
    {
        var state = "{}"u8.ToArray();
        var file = EncryptedStateFile.Seal(state, Passphrase);

        // Every byte of magic, version and kdf; the first and last byte of salt, nonce, ciphertext and tag. (Every
        // bit of every byte goes through the same AEAD in key mode above; Argon2id makes each try here cost ~0.2 s.)
        int[] positions = [.. Enumerable.Range(0, 12), 12, 27, 28, 51, 52, 53, 54, file.Length - 1];
        foreach (var i in positions)
        {
            file[i] ^= 0x40;
            Assert.False(EncryptedStateFile.TryOpen(file, Passphrase, out _), $"byte {i}");
            file[i] ^= 0x40;
        }

        Assert.True(EncryptedStateFile.TryOpen(file, Passphrase, out var opened));
        Assert.Equal(state, opened);
    }

    [Fact]
    public void TryOpen_TruncatedOrExtended_ReturnsFalse()
    {
        using var key = StorageKey.Generate();
        var file = EncryptedStateFile.Seal(State, key);

        for (var length = 0; length < file.Length; length++)
        {
            Assert.False(EncryptedStateFile.TryOpen(file.AsSpan(0, length), key, out _), $"length {length}");
        }

        Assert.False(EncryptedStateFile.TryOpen([.. file, 0x00], key, out _));
    }

    [Fact]
    public void TryOpen_KeyModeWithNonZeroSalt_ReturnsFalse()
    {
        // A key-mode file whose salt is not zero is refused even when its tag is valid (the salt is in the AD).
        using var key = StorageKey.Generate(allowExport: true);
        var rawKey = new byte[32];
        key.Export(rawKey);
        var file = EncryptedStateFile.Seal(State, key);
        file[12] = 0x01;
        Crypto.AeadEncrypt(rawKey, file.AsSpan(28..52), file.AsSpan(..52), State, file.AsSpan(52));

        Assert.False(EncryptedStateFile.TryOpen(file, key, out _));
    }

    [Fact]
    public void TryReadKdf_NotAStateFile_ReturnsFalse()
    {
        using var key = StorageKey.Generate();
        var file = EncryptedStateFile.Seal(State, key);
        var unknownKdf = (byte[])file.Clone();
        unknownKdf[11] = 0x02;
        var otherVersion = (byte[])file.Clone();
        otherVersion[10] = 0x02;

        Assert.False(EncryptedStateFile.TryReadKdf(unknownKdf, out _));
        Assert.False(EncryptedStateFile.TryReadKdf(otherVersion, out _));
        Assert.False(EncryptedStateFile.TryReadKdf(file.AsSpan(0, EncryptedStateFile.Overhead - 1), out _));
        Assert.False(EncryptedStateFile.TryReadKdf("MSG1-STATE"u8.ToArray().Concat(file[10..]).ToArray(), out _));
    }

    [Fact]
    public void Seal_EmptyPassphrase_Throws()
    {
        Assert.Throws<ArgumentException>(() => EncryptedStateFile.Seal(State, ""));
    }

    [Fact]
    public void Seal_PassphraseWithLoneSurrogate_Throws()
    {
        Assert.Throws<ArgumentException>(() => EncryptedStateFile.Seal(State, "pass\ud800word"));
    }

    [Fact]
    public void Seal_WrongOutputLength_Throws()
    {
        using var key = StorageKey.Generate();

        Assert.Throws<ArgumentException>(() => EncryptedStateFile.Seal(State, key, new byte[EncryptedStateFile.SealedLength(State.Length) - 1]));
    }

    [Fact]
    public void TryOpen_WrongStateBufferLength_Throws()
    {
        using var key = StorageKey.Generate();
        var file = EncryptedStateFile.Seal(State, key);

        Assert.Throws<ArgumentException>(() => EncryptedStateFile.TryOpen(file, key, new byte[State.Length + 1]));
    }

    [Fact]
    public void Passphrase_NonAscii_IsUtf8AndRoundTrips()
    {
        var file = EncryptedStateFile.Seal(State, "pässwörd ✓");

        Assert.True(EncryptedStateFile.TryOpen(file, "pässwörd ✓", out var opened));
        Assert.False(EncryptedStateFile.TryOpen(file, "passwörd ✓", out _));
        Assert.Equal(State, opened);
    }
}
