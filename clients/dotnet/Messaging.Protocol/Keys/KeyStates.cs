namespace Messaging.Protocol.Keys;

// Snapshots of key secrets for the encrypted local store (docs/protocol.md §8). Only the state serializer makes
// them; every secret is a seed from which the key pair is derived again on restore.

/// <summary>IKs's 32-byte Ed25519 seed and IKd's 32-byte X25519 secret.</summary>
internal sealed record DeviceKeysState(byte[] SigningSeed, byte[] AgreementSeed);

/// <summary>A signed prekey: id, 32-byte X25519 secret, signature.</summary>
internal sealed record SignedPrekeyState(uint Id, byte[] Seed, byte[] Signature);

/// <summary>A one-time prekey: id, 32-byte X25519 secret.</summary>
internal sealed record OneTimePrekeyState(uint Id, byte[] Seed);

/// <summary>An ML-KEM-768 prekey: id, 64-byte seed, signature, last resort or one-time.</summary>
internal sealed record KemPrekeyState(uint Id, byte[] Seed, byte[] Signature, bool LastResort);
