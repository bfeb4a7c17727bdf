namespace Messaging.Bench.Load;

/// <summary>
/// The load generator runs its socket continuations on the runtime's socket event threads instead of handing each to
/// the thread pool. Its targets (the server and the relay, child processes) keep the default.
/// </summary>
internal static class InlineSocketCompletions
{
    /// <summary>Read once, when the process first uses a socket.</summary>
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Before the first socket of this process: afterwards the runtime no longer reads it.</summary>
    public static void EnableForThisProcess() => Environment.SetEnvironmentVariable(Variable, "1");
}
