using System.Text.Json;

namespace Messaging.Contracts;

/// <summary>
/// The first half of a passkey ceremony: <see cref="Options"/> go to the browser as they are
/// (<c>PublicKeyCredential.parseCreationOptionsFromJSON</c> or <c>parseRequestOptionsFromJSON</c>), and
/// <see cref="State"/> comes back unchanged with the answer, within two minutes. The state is opaque and sealed by the
/// server; it is what lets any server node finish the ceremony.
/// </summary>
public sealed record PasskeyOptionsResponse(JsonElement Options, string State);

/// <summary>Adds a passkey: the state of the options and the browser's <c>PublicKeyCredential.toJSON()</c> after <c>create()</c>.</summary>
public sealed record RegisterPasskeyRequest(string State, JsonElement Attestation);

/// <summary>Completes the session's second factor with a passkey: the state and <c>PublicKeyCredential.toJSON()</c> after <c>get()</c>.</summary>
public sealed record PasskeyAssertionRequest(string State, JsonElement Assertion);
