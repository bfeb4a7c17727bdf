using System.Globalization;
using Messaging.Contracts;

namespace Messaging.Client;

/// <summary>
/// The one place that builds exceptions and their messages. A message names a code, a status or a hub method,
/// never a request body, a credential or a token.
/// </summary>
internal static class Errors
{
    public static MessagingException Http(int status, string code, string? title, string? detail)
    {
        var message = string.IsNullOrWhiteSpace(title)
            ? string.Create(CultureInfo.InvariantCulture, $"The server answered {status} ({code}).")
            : string.Create(CultureInfo.InvariantCulture, $"The server answered {status} ({code}): {title}");
        return new MessagingException(code, status, title, detail, hubError: null, message, innerException: null);
    }

    public static MessagingException Hub(string method, HubError error)
    {
        var message = string.IsNullOrWhiteSpace(error.Message)
            ? $"The hub refused {method} ({error.Code})."
            : $"The hub refused {method} ({error.Code}): {error.Message}";
        return new MessagingException(error.Code, status: null, title: null, detail: null, error, message, innerException: null);
    }

    public static MessagingException HubMethodFailed(string method, Exception inner) =>
        new(ErrorCodes.Internal, status: null, title: null, detail: null, hubError: null,
            $"The hub method {method} failed on the server.", inner);

    public static MessagingException Unavailable(string method, Exception? inner) =>
        new(ClientErrorCodes.Unavailable, status: null, title: null, detail: null, hubError: null,
            $"The hub could not be reached for {method} within the retry budget.", inner);

    public static MessagingException InvalidResponse(string what, Exception? inner = null) =>
        new(ClientErrorCodes.InvalidResponse, status: null, title: null, detail: null, hubError: null,
            $"The server's answer to {what} could not be read.", inner);

    public static InvalidOperationException NotConnected() =>
        new("Call ConnectAsync before using the hub.");

    public static InvalidOperationException SecondReader() =>
        new("ReceiveAsync supports one reader at a time.");

    public static MessagingException Client(string code, string message) =>
        new(code, status: null, title: null, detail: null, hubError: null, message, innerException: null);
}
