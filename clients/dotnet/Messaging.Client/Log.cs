using Microsoft.Extensions.Logging;

namespace Messaging.Client;

/// <summary>Every log line of the client. Ids and codes only: never a token, a credential or a payload.</summary>
internal static class Log
{
    private static readonly Action<ILogger, int, TimeSpan, Exception?> ConnectFailedMessage = LoggerMessage.Define<int, TimeSpan>(
        LogLevel.Warning, new EventId(1, "ConnectFailed"), "Connecting to the hub failed (attempt {Attempt}); next try in {Delay}.");

    private static readonly Action<ILogger, Exception?> ConnectedMessage = LoggerMessage.Define(
        LogLevel.Information, new EventId(2, "Connected"), "Connected to the hub.");

    private static readonly Action<ILogger, Exception?> ReconnectingMessage = LoggerMessage.Define(
        LogLevel.Warning, new EventId(3, "Reconnecting"), "Lost the hub connection; reconnecting.");

    private static readonly Action<ILogger, Exception?> ReconnectedMessage = LoggerMessage.Define(
        LogLevel.Information, new EventId(4, "Reconnected"), "Reconnected to the hub.");

    private static readonly Action<ILogger, Exception?> ClosedMessage = LoggerMessage.Define(
        LogLevel.Warning, new EventId(5, "Closed"), "The hub connection closed; starting it again.");

    private static readonly Action<ILogger, int, Exception?> DrainedMessage = LoggerMessage.Define<int>(
        LogLevel.Debug, new EventId(6, "Drained"), "The queue is drained ({Count} queued deliveries received).");

    private static readonly Action<ILogger, Exception?> DrainFailedMessage = LoggerMessage.Define(
        LogLevel.Warning, new EventId(7, "DrainFailed"), "Draining the queue failed while connected; retrying.");

    private static readonly Action<ILogger, Guid, Guid, Exception?> DuplicateMessage = LoggerMessage.Define<Guid, Guid>(
        LogLevel.Debug, new EventId(8, "DuplicateDelivery"), "Dropped a delivery already received (conversation {ConversationId}, message {MessageId}).");

    private static readonly Action<ILogger, string, int, Exception?> HubCallRetryMessage = LoggerMessage.Define<string, int>(
        LogLevel.Warning, new EventId(9, "HubCallRetry"), "{Method} failed because the connection dropped (attempt {Attempt}); retrying.");

    private static readonly Action<ILogger, Guid, int, int, int, Exception?> DevicesChangedMessage = LoggerMessage.Define<Guid, int, int, int>(
        LogLevel.Information, new EventId(10, "DevicesChanged"),
        "Devices of conversation {ConversationId} changed ({Missing} missing, {Extra} extra); retry {Attempt} with the same message id.");

    private static readonly Action<ILogger, string, Exception?> FaultedMessage = LoggerMessage.Define<string>(
        LogLevel.Error, new EventId(11, "Faulted"), "The client stopped for good ({Code}).");

    private static readonly Action<ILogger, string, Exception?> HandlerFailedMessage = LoggerMessage.Define<string>(
        LogLevel.Error, new EventId(12, "HandlerFailed"), "A {Event} handler threw.");

    private static readonly Action<ILogger, Exception?> TokenFailedMessage = LoggerMessage.Define(
        LogLevel.Warning, new EventId(13, "TokenFailed"), "Obtaining a device token failed.");

    private static readonly Action<ILogger, int, Exception?> QuietAcknowledgementDroppedMessage = LoggerMessage.Define<int>(
        LogLevel.Information, new EventId(14, "QuietAcknowledgementDropped"),
        "A quiet acknowledgement of {Count} deliveries was not sent (the connection dropped); they come again with the next drain.");

    private static readonly Action<ILogger, string, Exception?> ReceiptNotSentMessage = LoggerMessage.Define<string>(
        LogLevel.Warning, new EventId(15, "ReceiptNotSent"),
        "A \"decrypted\" receipt was not sent ({Code}); the message itself is stored and acknowledged.");

    public static void ConnectFailed(ILogger logger, int attempt, TimeSpan delay, Exception exception) => ConnectFailedMessage(logger, attempt, delay, exception);

    public static void Connected(ILogger logger) => ConnectedMessage(logger, null);

    public static void Reconnecting(ILogger logger, Exception? exception) => ReconnectingMessage(logger, exception);

    public static void Reconnected(ILogger logger) => ReconnectedMessage(logger, null);

    public static void Closed(ILogger logger, Exception? exception) => ClosedMessage(logger, exception);

    public static void Drained(ILogger logger, int count) => DrainedMessage(logger, count, null);

    public static void DrainFailed(ILogger logger, Exception exception) => DrainFailedMessage(logger, exception);

    public static void Duplicate(ILogger logger, Guid conversationId, Guid messageId) => DuplicateMessage(logger, conversationId, messageId, null);

    public static void HubCallRetry(ILogger logger, string method, int attempt, Exception exception) => HubCallRetryMessage(logger, method, attempt, exception);

    public static void DevicesChanged(ILogger logger, Guid conversationId, int missing, int extra, int attempt) =>
        DevicesChangedMessage(logger, conversationId, missing, extra, attempt, null);

    public static void Faulted(ILogger logger, string code, Exception exception) => FaultedMessage(logger, code, exception);

    public static void HandlerFailed(ILogger logger, string eventName, Exception exception) => HandlerFailedMessage(logger, eventName, exception);

    public static void TokenFailed(ILogger logger, Exception exception) => TokenFailedMessage(logger, exception);

    public static void QuietAcknowledgementDropped(ILogger logger, int count, Exception exception) => QuietAcknowledgementDroppedMessage(logger, count, exception);

    public static void ReceiptNotSent(ILogger logger, string code) => ReceiptNotSentMessage(logger, code, null);
}
