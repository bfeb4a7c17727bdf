namespace Messaging.Contracts;

/// <summary>HTTP routes and the hub path, shared so that client and server cannot drift apart.</summary>
public static class Routes
{
    public const string Hub = "/hubs/messaging";
    public const string Accounts = "/api/accounts";
    public const string CurrentAccount = "/api/accounts/me";
    public const string Sessions = "/api/sessions";
    public const string SecondFactor = "/api/sessions/second-factor";
    public const string EmailCode = "/api/sessions/email-code";
    public const string SessionChallenge = "/api/sessions/challenge";
    public const string DeviceSessions = "/api/sessions/device";
    public const string RefreshSession = "/api/sessions/refresh";

    /// <summary>DELETE: ends the calling device's session.</summary>
    public const string CurrentSession = "/api/sessions/current";
    public const string PasswordReset = "/api/password-reset";
    public const string CompletePasswordReset = "/api/password-reset/complete";
    public const string Totp = "/api/mfa/totp";
    public const string ConfirmTotp = "/api/mfa/totp/confirm";
    public const string RecoveryCodes = "/api/mfa/recovery-codes";

    /// <summary>POST: options and a sealed state for adding a passkey; POST on <see cref="Passkeys"/> completes it.</summary>
    public const string PasskeyRegistrationOptions = "/api/mfa/passkeys/options";
    public const string Passkeys = "/api/mfa/passkeys";

    /// <summary>POST: options and a sealed state for a passkey second factor; POST on <see cref="PasskeySecondFactor"/> completes it.</summary>
    public const string PasskeyAssertionOptions = "/api/sessions/passkey/options";
    public const string PasskeySecondFactor = "/api/sessions/passkey";

    public const string Practices = "/api/practices";
    public const string AcceptInvitation = "/api/invitations/accept";
    public const string Consent = "/api/consent";
    public const string Terms = "/api/terms";
    public const string Devices = "/api/devices";
    public const string Conversations = "/api/conversations";
    public const string HealthLive = "/health/live";
    public const string HealthReady = "/health/ready";

    public static string Device(Guid deviceId) => $"{Devices}/{deviceId}";
    public static string ConversationDevices(Guid conversationId) => $"{Conversations}/{conversationId}/devices";
    public static string DevicePrekeys(Guid deviceId) => $"{Devices}/{deviceId}/prekeys";
    public static string DevicePrekeyStatus(Guid deviceId) => $"{Devices}/{deviceId}/prekeys/status";
    public static string AccountBundles(Guid accountId) => $"{Accounts}/{accountId}/bundles";
    public static string PracticeInvitations(Guid practiceId) => $"{Practices}/{practiceId}/invitations";
    public static string PracticeMembers(Guid practiceId) => $"{Practices}/{practiceId}/members";
    public static string PracticeMember(Guid practiceId, Guid accountId) => $"{Practices}/{practiceId}/members/{accountId}";
    public static string PracticeDeadNotifications(Guid practiceId) => PracticeDeadNotifications(practiceId.ToString());
    public static string PracticeDeadNotifications(string practiceId) => $"{Practices}/{practiceId}/notifications/dead";
}

/// <summary>Names of hub methods, in both directions.</summary>
public static class HubMethods
{
    /// <summary>Client to server: store and fan out one message (<see cref="SendRequest"/> → <see cref="SendResult"/>).</summary>
    public const string Send = "Send";

    /// <summary>Client to server: the device has stored these deliveries; the server deletes its copies.</summary>
    public const string Acknowledge = "Acknowledge";

    /// <summary>
    /// Client to server, sent without waiting for an answer (a SignalR send, not an invocation): what
    /// <see cref="Acknowledge"/> does, one frame instead of a call and its answer, for a client that does not need the
    /// count. The server reports a request it refuses with <see cref="AcknowledgeRefused"/>.
    /// </summary>
    public const string AcknowledgeQuietly = "AcknowledgeQuietly";

    /// <summary>Client to server: a stream of the device's queued deliveries, in order; the stream ends when the queue is drained.</summary>
    public const string Drain = "Drain";

    /// <summary>Server to client: one live delivery (<see cref="Delivery"/>).</summary>
    public const string Receive = "Receive";

    /// <summary>Server to client: a <see cref="AcknowledgeQuietly"/> was refused (<see cref="HubError"/>); it deleted nothing.</summary>
    public const string AcknowledgeRefused = "AcknowledgeRefused";

    /// <summary>
    /// Server to client: a bundle fetch left this device with few one-time prekeys (<see cref="PrekeyStatus"/>);
    /// the device should upload more.
    /// </summary>
    public const string PrekeysLow = "PrekeysLow";
}
