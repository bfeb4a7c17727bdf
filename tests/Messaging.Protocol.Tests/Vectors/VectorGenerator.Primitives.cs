using System.Text;
using System.Text.Json.Nodes;
using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Tests.Vectors;

public sealed partial class VectorGenerator
{
    /// <summary>§1: each primitive over seeded inputs, including the protocol's own HKDF infos and HMAC constants.</summary>
    [VectorSet("primitives.json", "Primitives of docs/protocol.md §1 (libsodium 1.0.22) over fixed inputs. Hex strings; aead.ciphertext includes the 16-byte tag; "
        + "x25519 secrets are raw 32-byte scalars (clamped on use); x25519LowOrder public keys must be rejected (all-zero result); "
        + "mlkem768 keys come from crypto_kem_mlkem768_seed_keypair (64-byte seed d || z), encapsulations from crypto_kem_mlkem768_enc_deterministic "
        + "(32-byte seed m); implicitRejectionSecret is what decapsulation gives for the ciphertext with its first byte xor 0x01; "
        + "keys are given as SHA-512 hashes.")]
    private static JsonObject Primitives()
    {
        var hkdf = new JsonArray();
        foreach (var (name, salt, ikm, info, length) in new (string, byte[], byte[], string, int)[]
        {
            ("pqxdh-sk", new byte[32], [.. Fill(0xff, 32), .. Seeded("dh1", 32), .. Seeded("dh2", 32), .. Seeded("dh3", 32), .. Seeded("ss", 32)],
                "MSG1 PQXDH X25519 ML-KEM-768 SHA-256", 32),
            ("kdf-rk", Seeded("rk", 32), Seeded("dh", 32), "MSG1 ratchet", 64),
            ("message-keys", new byte[32], Seeded("mk", 32), "MSG1 message", 56),
            ("empty-salt-and-info", [], Seeded("ikm", 22), "", 42),
            ("long-output", Seeded("salt", 13), Seeded("ikm-long", 80), "three blocks and a bit", 100),
        })
        {
            var okm = new byte[length];
            Crypto.Hkdf(salt, ikm, Encoding.ASCII.GetBytes(info), okm);
            hkdf.Add(new JsonObject
            {
                ["name"] = name,
                ["salt"] = Hex(salt),
                ["ikm"] = Hex(ikm),
                ["info"] = Hex(Encoding.ASCII.GetBytes(info)),
                ["length"] = length,
                ["okm"] = Hex(okm),
            });
        }

        var hmac = new JsonArray();
        foreach (var (name, message) in new (string, byte[])[]
        {
            ("kdf-ck-message-key", [0x01]),
            ("kdf-ck-chain-key", [0x02]),
            ("empty", []),
            ("long", Seeded("hmac-long", 200)),
        })
        {
            var key = Seeded("hmac-key", 32);
            var mac = new byte[32];
            Crypto.Hmac(key, message, mac);
            hmac.Add(new JsonObject { ["name"] = name, ["key"] = Hex(key), ["message"] = Hex(message), ["mac"] = Hex(mac) });
        }

        var sha512 = new JsonArray();
        foreach (var message in new[] { Array.Empty<byte>(), "abc"u8.ToArray(), Seeded("sha-long", 300) })
        {
            var digest = new byte[64];
            Crypto.Sha512(message, digest);
            sha512.Add(new JsonObject { ["message"] = Hex(message), ["digest"] = Hex(digest) });
        }

        var x25519 = new JsonArray();
        foreach (var name in new[] { "pair-1", "pair-2", "pair-3" })
        {
            var secret = Seeded($"x25519 {name} a", 32);
            var peerSecret = Seeded($"x25519 {name} b", 32);
            var shared = new byte[32];
            var sharedAtPeer = new byte[32];
            Assert.True(Crypto.TryX25519(secret, X25519Public(peerSecret), shared));
            Assert.True(Crypto.TryX25519(peerSecret, X25519Public(secret), sharedAtPeer));
            Assert.Equal(shared, sharedAtPeer);
            x25519.Add(new JsonObject
            {
                ["name"] = name,
                ["secret"] = Hex(secret),
                ["publicKey"] = Hex(X25519Public(secret)),
                ["peerSecret"] = Hex(peerSecret),
                ["peerPublicKey"] = Hex(X25519Public(peerSecret)),
                ["shared"] = Hex(shared),
            });
        }

        var lowOrder = new JsonArray();
        var anySecret = Seeded("x25519 low-order secret", 32);
        foreach (var point in new[]
        {
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
            "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        })
        {
            Assert.False(Crypto.TryX25519(anySecret, Convert.FromHexString(point), new byte[32]));
            lowOrder.Add(new JsonObject { ["secret"] = Hex(anySecret), ["publicKey"] = point });
        }

        var ed25519 = new JsonArray();
        foreach (var (name, message) in new (string, byte[])[]
        {
            ("empty", []),
            ("one-byte", [0x72]),
            ("identity-message", [.. "MSG1-IDK"u8, .. Seeded("ikd", 32)]),
            ("long", Seeded("ed25519-long", 1000)),
        })
        {
            var seed = Seeded($"ed25519 {name}", 32);
            var (pk, sk) = Ed25519(seed);
            var signature = new byte[64];
            Crypto.Sign(sk, message, signature);
            Assert.True(Crypto.Verify(pk, message, signature));
            ed25519.Add(new JsonObject
            {
                ["name"] = name,
                ["seed"] = Hex(seed),
                ["publicKey"] = Hex(pk),
                ["message"] = Hex(message),
                ["signature"] = Hex(signature),
            });
        }

        var aead = new JsonArray();
        foreach (var (name, ad, plaintext) in new (string, byte[], byte[])[]
        {
            ("empty-plaintext", Seeded("aead ad", 129), []),
            ("empty-ad", [], [0x01]),
            ("padded-message", Seeded("aead ad 2", 141), Seeded("aead plaintext", 192)),
        })
        {
            var key = Seeded($"aead {name} key", 32);
            var nonce = Seeded($"aead {name} nonce", 24);
            var ciphertext = new byte[plaintext.Length + 16];
            Crypto.AeadEncrypt(key, nonce, ad, plaintext, ciphertext);
            var opened = new byte[plaintext.Length];
            Assert.True(Crypto.TryAeadDecrypt(key, nonce, ad, ciphertext, opened));
            aead.Add(new JsonObject
            {
                ["name"] = name,
                ["key"] = Hex(key),
                ["nonce"] = Hex(nonce),
                ["ad"] = Hex(ad),
                ["plaintext"] = Hex(plaintext),
                ["ciphertext"] = Hex(ciphertext),
            });
        }

        var mlkem = new JsonArray();
        foreach (var (name, encapsulations) in new[] { ("key-1", 2), ("key-2", 1) })
        {
            var seed = Seeded($"mlkem768 {name}", 64);
            var (pk, sk) = Kem(seed);
            var cases = new JsonArray();
            for (var i = 0; i < encapsulations; i++)
            {
                var encapsulationSeed = Seeded($"mlkem768 {name} encapsulation {i}", 32);
                var ct = new byte[Sizes.KemCiphertext];
                var ss = new byte[Sizes.KemSharedSecret];
                var decapsulated = new byte[Sizes.KemSharedSecret];
                Assert.True(Crypto.TryKemEncapsulate(pk, ct, ss, encapsulationSeed));
                Assert.True(Crypto.TryKemDecapsulate(sk, ct, decapsulated));
                Assert.Equal(ss, decapsulated);
                var modified = (byte[])ct.Clone();
                modified[0] ^= 0x01;
                var rejected = new byte[Sizes.KemSharedSecret];
                Assert.True(Crypto.TryKemDecapsulate(sk, modified, rejected));
                Assert.NotEqual(ss, rejected);
                cases.Add(new JsonObject
                {
                    ["seed"] = Hex(encapsulationSeed),
                    ["ciphertext"] = Hex(ct),
                    ["ciphertextSha512"] = Sha512Hex(ct),
                    ["sharedSecret"] = Hex(ss),
                    ["implicitRejectionSecret"] = Hex(rejected),
                });
            }

            mlkem.Add(new JsonObject
            {
                ["name"] = name,
                ["seed"] = Hex(seed),
                ["publicKeySha512"] = Sha512Hex(pk),
                ["secretKeySha512"] = Sha512Hex(sk),
                ["encapsulations"] = cases,
            });
        }

        return new JsonObject
        {
            ["hkdf"] = hkdf,
            ["hmac"] = hmac,
            ["sha512"] = sha512,
            ["x25519"] = x25519,
            ["x25519LowOrder"] = lowOrder,
            ["ed25519"] = ed25519,
            ["aead"] = aead,
            ["mlkem768"] = mlkem,
        };
    }
}
