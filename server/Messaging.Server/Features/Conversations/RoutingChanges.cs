namespace Messaging.Server.Features.Conversations;

/// <summary>
/// Counts the changes to who receives a conversation's messages: a device registered or revoked, a membership added
/// or removed, consent given or withdrawn. <see cref="SendRoutes"/> trusts a cached route only while this counter has
/// not moved since the route was read. Every change is counted after its commit; with several nodes it is also
/// published to the others (<see cref="Hosting.ClusterSignals"/>).
/// </summary>
internal sealed class RoutingChanges
{
    private long generation;

    public long Generation => Interlocked.Read(ref generation);

    /// <summary>Set when other nodes must hear of changes (Redis configured).</summary>
    public Action? Broadcast { get; set; }

    /// <summary>A change committed by this node.</summary>
    public void Changed()
    {
        ChangedElsewhere();
        Broadcast?.Invoke();
    }

    /// <summary>A change committed by another node.</summary>
    public void ChangedElsewhere() => Interlocked.Increment(ref generation);
}
