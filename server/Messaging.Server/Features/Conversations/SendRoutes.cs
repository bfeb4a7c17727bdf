using System.Collections.Concurrent;
using Messaging.Server.Features.Devices;
using Messaging.Server.Features.Practices;

namespace Messaging.Server.Features.Conversations;

/// <summary>Who a message in the conversation goes to now: the participants and their active devices.</summary>
internal sealed record SendRoute(Conversation Conversation, Participants Participants, IReadOnlyList<Device> ActiveDevices)
{
    /// <summary>The active devices' ids, made once per route: the send path checks every copy against them.</summary>
    public IReadOnlySet<Guid> ActiveDeviceIds { get; } = ActiveDevices.Select(d => d.Id).ToHashSet();
}

/// <summary>
/// The send path's one lookup, cached per conversation. Reading the conversation, the memberships, the patients'
/// consent and the devices cost more than the durable write itself, and they change rarely. A cached route is used
/// only while <see cref="RoutingChanges"/> has not moved since it was read (any change anywhere empties the cache for
/// everyone, which is cheap because changes are rare), and never longer than <see cref="MaxAge"/>: the bound on
/// staleness if a change published by another node were lost.
/// </summary>
internal sealed class SendRoutes(
    IConversationStore conversations, PracticeAccess access, IDeviceStore devices, RoutingChanges changes, TimeProvider time)
{
    /// <summary>Conversations held at most; past it the cache starts again empty (simple, and rare at this size).</summary>
    public const int Capacity = 10_000;

    private readonly ConcurrentDictionary<Guid, Entry> entries = new();

    public static TimeSpan MaxAge { get; } = TimeSpan.FromSeconds(10);

    /// <summary>The conversation's route, or null when it does not exist (not cached: it may be created later).</summary>
    public async Task<SendRoute?> FindAsync(Guid conversationId, CancellationToken cancellationToken)
    {
        // Read the generation before the store: a change committed during the reads makes this entry stale at once.
        var generation = changes.Generation;
        var now = time.GetUtcNow();
        if (entries.TryGetValue(conversationId, out var cached) && cached.Generation == generation && now - cached.ReadAt < MaxAge)
        {
            return cached.Route;
        }

        var route = await ReadAsync(conversationId, cancellationToken);
        if (route is not null)
        {
            if (entries.Count >= Capacity)
            {
                entries.Clear();
            }

            entries[conversationId] = new Entry(route, generation, now);
        }

        return route;
    }

    private async Task<SendRoute?> ReadAsync(Guid conversationId, CancellationToken cancellationToken)
    {
        if (await conversations.FindAsync(conversationId, cancellationToken) is not { } conversation)
        {
            return null;
        }

        var participants = await access.ParticipantsOfAsync(conversation, cancellationToken);
        IReadOnlyList<Device> active = participants.AccountIds.Count == 0
            ? []
            : await devices.ListActiveAsync([.. participants.AccountIds], cancellationToken);
        return new SendRoute(conversation, participants, active);
    }

    private sealed record Entry(SendRoute Route, long Generation, DateTimeOffset ReadAt);
}
