using Messaging.Contracts;

namespace Messaging.Client;

/// <summary>
/// The server refused a request, or could not be reached within the retry budget. <see cref="Code"/> is one of
/// <see cref="ErrorCodes"/> (from the server) or <see cref="ClientErrorCodes"/> (from this SDK). Messages never
/// contain request bodies, credentials or tokens.
/// </summary>
public sealed class MessagingException : Exception
{
    public MessagingException()
        : this(ErrorCodes.Internal, status: null, title: null, detail: null, hubError: null, "The request failed.", null)
    {
    }

    public MessagingException(string message)
        : this(ErrorCodes.Internal, status: null, title: null, detail: null, hubError: null, message, null)
    {
    }

    public MessagingException(string message, Exception innerException)
        : this(ErrorCodes.Internal, status: null, title: null, detail: null, hubError: null, message, innerException)
    {
    }

    internal MessagingException(
        string code, int? status, string? title, string? detail, HubError? hubError, string message, Exception? innerException)
        : base(message, innerException)
    {
        Code = code;
        Status = status;
        Title = title;
        Detail = detail;
        HubError = hubError;
    }

    /// <summary>A stable code: an <see cref="ErrorCodes"/> value or a <see cref="ClientErrorCodes"/> value.</summary>
    public string Code { get; }

    /// <summary>The HTTP status for an HTTP error; <see langword="null"/> for hub and client-side errors.</summary>
    public int? Status { get; }

    /// <summary>The problem-details title of an HTTP error.</summary>
    public string? Title { get; }

    /// <summary>The problem-details detail of an HTTP error (kept out of <see cref="Exception.Message"/>).</summary>
    public string? Detail { get; }

    /// <summary>The hub's error object for a hub error, e.g. with <see cref="HubError.MissingDevices"/>.</summary>
    public HubError? HubError { get; }

    /// <summary>
    /// True for an HTTP 4xx answer that will not change on retry (bad credentials, revoked device, ...);
    /// 408 and 429 are not permanent.
    /// </summary>
    internal bool IsPermanentHttpFailure => Status is >= 400 and < 500 and not 408 and not 429;
}
