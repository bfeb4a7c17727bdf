using Messaging.Protocol.Storage;
using Microsoft.Extensions.Logging;

namespace Messaging.Client.Secure;

/// <summary>Settings of a <see cref="SecureMessenger"/>. A class, so that no generated ToString prints a secret.</summary>
public sealed class SecureMessengerOptions
{
    public required Uri ServerUri { get; init; }

    /// <summary>
    /// Obtains a verified account token (password, then the second factor; for a patient's new device, the emailed
    /// code). Called to register the device, and again only if its session ends; the device renews its session with
    /// its own key otherwise.
    /// </summary>
    public required Func<CancellationToken, Task<string>> SignIn { get; init; }

    /// <summary>Where the sealed state lives (keys, sessions, history).</summary>
    public required FileStateStorage Storage { get; init; }

    /// <summary>Seals the local state at rest; the application keeps it (or derives it from a passphrase).</summary>
    public required StorageKey StorageKey { get; init; }

    public MessagingProtocol Protocol { get; init; } = MessagingProtocol.Json;

    public ReconnectBackoff ReconnectBackoff { get; init; } = ReconnectBackoff.Default;

    public ILoggerFactory? LoggerFactory { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The handler behind HTTP calls (certificate pinning, a proxy, tests); the messenger does not dispose it.</summary>
    public HttpMessageHandler? HttpMessageHandler { get; init; }

    /// <summary>How many one-time prekeys of each kind are published at registration and at each top-up.</summary>
    public int PrekeyBatch { get; init; } = 100;
}

/// <summary>A recipient device reported that it decrypted and stored a message.</summary>
public sealed record DeliveryReceipt(Guid ConversationId, Guid MessageId, Guid ByDeviceId);
