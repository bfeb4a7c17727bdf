namespace Messaging.Client;

/// <summary>
/// A bounded set of recent (conversation, message) ids, oldest evicted first. The transport's keeps a copy that
/// arrives both live and through the drain from being yielded twice in one connection window; the durable queue and
/// the caller's own store stay the authority on what was already handled (the <c>SecureMessenger</c>'s own set of
/// deliveries it decrypted is such a store).
/// </summary>
internal sealed class RecentDeliveries(int capacity)
{
    private readonly Lock _lock = new();
    private readonly HashSet<(Guid ConversationId, Guid MessageId)> _seen = [];
    private readonly Queue<(Guid ConversationId, Guid MessageId)> _order = new();

    /// <summary>Records the id; false when it was already recorded.</summary>
    public bool TryAdd(Guid conversationId, Guid messageId)
    {
        var key = (conversationId, messageId);
        lock (_lock)
        {
            if (!_seen.Add(key))
            {
                return false;
            }

            _order.Enqueue(key);
            if (_order.Count > capacity)
            {
                _seen.Remove(_order.Dequeue());
            }

            return true;
        }
    }

    public bool Contains(Guid conversationId, Guid messageId)
    {
        lock (_lock)
        {
            return _seen.Contains((conversationId, messageId));
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _seen.Clear();
            _order.Clear();
        }
    }
}
