using System.Buffers.Binary;
using System.Buffers.Text;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Messaging.Testing;

/// <summary>What a test wants an assertion (or a registration) to get wrong.</summary>
[Flags]
public enum Tampering
{
    None = 0,

    /// <summary>The client data names a look-alike site instead of the authenticator's origin (phishing).</summary>
    WrongOrigin = 1,

    /// <summary>The signature counter is not advanced: the same value as the previous response (a clone, or a replay).</summary>
    ReplayedCounter = 2,

    /// <summary>A well-formed ES256 signature, but by another key.</summary>
    WrongSignature = 4,
}

/// <summary>
/// A real WebAuthn authenticator in software, with the browser's part (client data) around it: ES256 keys made here,
/// "none" attestation, and answers shaped like <c>PublicKeyCredential.toJSON()</c> (base64url fields), which is what
/// the server's Fido2 library reads. Nothing is mocked: the server verifies real signatures over real bytes
/// (WebAuthn Level 3, §6.1 authenticator data, §6.5 attested credential data, §5.8.1 client data).
/// </summary>
public sealed class SoftwareAuthenticator : IDisposable
{
    public const string DefaultOrigin = "http://localhost:5000";
    public const string PhishingOrigin = "https://messagerie-securisee.example.net";

    // Flags of the authenticator data (§6.1): user present, user verified, attested credential data included.
    private const byte UserPresent = 0x01;
    private const byte UserVerified = 0x04;
    private const byte AttestedCredentialData = 0x40;

    private readonly Dictionary<string, Credential> credentials = [];

    public SoftwareAuthenticator(string origin = DefaultOrigin) => Origin = origin;

    /// <summary>The web page's origin the browser puts in the client data.</summary>
    public string Origin { get; }

    /// <summary>
    /// Whether signatures advance the counter (a security key does). Synced passkeys keep it at zero, as this one does
    /// when false.
    /// </summary>
    public bool CountsSignatures { get; set; } = true;

    /// <summary><c>navigator.credentials.create()</c> with the server's creation options, then <c>toJSON()</c>.</summary>
    public JsonElement Create(JsonElement options, Tampering tampering = Tampering.None)
    {
        var rpId = options.GetProperty("rp").GetProperty("id").GetString() ?? throw new ArgumentException("The options have no rp.id.", nameof(options));
        if (!options.GetProperty("pubKeyCredParams").EnumerateArray().Any(p => p.GetProperty("alg").GetInt32() == -7))
        {
            throw new NotSupportedException("The server does not accept ES256, the only algorithm this authenticator has.");
        }

        if (options.TryGetProperty("excludeCredentials", out var excluded)
            && excluded.EnumerateArray().Any(c => credentials.ContainsKey(c.GetProperty("id").GetString()!)))
        {
            // The browser's InvalidStateError: this authenticator holds one of the account's credentials already.
            throw new InvalidOperationException("This authenticator is registered already.");
        }

        var id = RandomNumberGenerator.GetBytes(32);
        var credential = new Credential(id, ECDsa.Create(ECCurve.NamedCurves.nistP256), Base64Url.DecodeFromChars(options.GetProperty("user").GetProperty("id").GetString()));
        credentials[Base64Url.EncodeToString(id)] = credential;

        var authenticatorData = AuthenticatorData(rpId, (byte)(UserPresent | UserVerified | AttestedCredentialData), 0, AttestedData(credential));
        var clientData = ClientData("webauthn.create", options, tampering);
        var response = new JsonObject
        {
            ["clientDataJSON"] = Base64Url.EncodeToString(clientData),
            ["attestationObject"] = Base64Url.EncodeToString(AttestationObject(authenticatorData)),
            ["authenticatorData"] = Base64Url.EncodeToString(authenticatorData),
            ["publicKey"] = Base64Url.EncodeToString(credential.Key.ExportSubjectPublicKeyInfo()),
            ["publicKeyAlgorithm"] = -7,
            ["transports"] = new JsonArray("internal"),
        };
        return Json(id, response);
    }

    /// <summary><c>navigator.credentials.get()</c> with the server's request options, then <c>toJSON()</c>.</summary>
    public JsonElement Get(JsonElement options, Tampering tampering = Tampering.None)
    {
        var rpId = options.GetProperty("rpId").GetString() ?? throw new ArgumentException("The options have no rpId.", nameof(options));
        var credential = options.GetProperty("allowCredentials").EnumerateArray()
            .Select(c => credentials.GetValueOrDefault(c.GetProperty("id").GetString()!))
            .FirstOrDefault(c => c is not null)
            ?? throw new InvalidOperationException("None of the allowed credentials is on this authenticator.");

        if (CountsSignatures && !tampering.HasFlag(Tampering.ReplayedCounter))
        {
            credential.SignCount++;
        }

        var authenticatorData = AuthenticatorData(rpId, UserPresent | UserVerified, credential.SignCount, []);
        var clientData = ClientData("webauthn.get", options, tampering);

        // §6.3.3: the signature covers authenticatorData || SHA-256(clientDataJSON), in ASN.1 DER for ES256.
        byte[] signed = [.. authenticatorData, .. SHA256.HashData(clientData)];
        using var otherKey = tampering.HasFlag(Tampering.WrongSignature) ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
        var signature = (otherKey ?? credential.Key).SignData(signed, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var response = new JsonObject
        {
            ["clientDataJSON"] = Base64Url.EncodeToString(clientData),
            ["authenticatorData"] = Base64Url.EncodeToString(authenticatorData),
            ["signature"] = Base64Url.EncodeToString(signature),
            ["userHandle"] = Base64Url.EncodeToString(credential.UserHandle),
        };
        return Json(credential.Id, response);
    }

    public void Dispose()
    {
        foreach (var credential in credentials.Values)
        {
            credential.Key.Dispose();
        }
    }

    private static JsonElement Json(byte[] id, JsonObject response) =>
        JsonSerializer.SerializeToElement(new JsonObject
        {
            ["id"] = Base64Url.EncodeToString(id),
            ["rawId"] = Base64Url.EncodeToString(id),
            ["type"] = "public-key",
            ["response"] = response,
            ["clientExtensionResults"] = new JsonObject(),
            ["authenticatorAttachment"] = "platform",
        });

    /// <summary>§5.8.1: the members in the order browsers write them; the challenge is echoed as the options gave it.</summary>
    private byte[] ClientData(string type, JsonElement options, Tampering tampering) =>
        JsonSerializer.SerializeToUtf8Bytes(new JsonObject
        {
            ["type"] = type,
            ["challenge"] = options.GetProperty("challenge").GetString(),
            ["origin"] = tampering.HasFlag(Tampering.WrongOrigin) ? PhishingOrigin : Origin,
            ["crossOrigin"] = false,
        });

    /// <summary>§6.1: rpIdHash (32) || flags (1) || signCount (u32, big-endian) || attested credential data.</summary>
    private static byte[] AuthenticatorData(string rpId, byte flags, uint signCount, byte[] attested)
    {
        var data = new byte[32 + 1 + 4 + attested.Length];
        SHA256.HashData(Encoding.UTF8.GetBytes(rpId), data);
        data[32] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(33), signCount);
        attested.CopyTo(data, 37);
        return data;
    }

    /// <summary>§6.5.1: AAGUID (16 zero bytes: no make or model told) || id length (u16 big-endian) || id || COSE key.</summary>
    private static byte[] AttestedData(Credential credential)
    {
        var length = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)credential.Id.Length);
        return [.. new byte[16], .. length, .. credential.Id, .. CoseKey(credential.Key)];
    }

    /// <summary>RFC 9053 §7.1.1 / RFC 8152 §13.1.1: an EC2 key, P-256, for ES256, in CTAP2 canonical CBOR.</summary>
    private static byte[] CoseKey(ECDsa key)
    {
        var point = key.ExportParameters(false).Q; // X and Y are always set for a named-curve key
        var writer = new CborWriter(CborConformanceMode.Ctap2Canonical);
        writer.WriteStartMap(5);
        writer.WriteInt32(1); // kty
        writer.WriteInt32(2); // EC2
        writer.WriteInt32(3); // alg
        writer.WriteInt32(-7); // ES256
        writer.WriteInt32(-1); // crv
        writer.WriteInt32(1); // P-256
        writer.WriteInt32(-2); // x
        writer.WriteByteString(point.X!);
        writer.WriteInt32(-3); // y
        writer.WriteByteString(point.Y!);
        writer.WriteEndMap();
        return writer.Encode();
    }

    /// <summary>§6.5.4 with the "none" format (§8.7): the authenticator data and an empty statement.</summary>
    private static byte[] AttestationObject(byte[] authenticatorData)
    {
        var writer = new CborWriter(CborConformanceMode.Ctap2Canonical);
        writer.WriteStartMap(3);
        writer.WriteTextString("fmt");
        writer.WriteTextString("none");
        writer.WriteTextString("attStmt");
        writer.WriteStartMap(0);
        writer.WriteEndMap();
        writer.WriteTextString("authData");
        writer.WriteByteString(authenticatorData);
        writer.WriteEndMap();
        return writer.Encode();
    }

    private sealed class Credential(byte[] id, ECDsa key, byte[] userHandle)
    {
        public byte[] Id { get; } = id;

        public ECDsa Key { get; } = key;

        public byte[] UserHandle { get; } = userHandle;

        public uint SignCount { get; set; }
    }
}
