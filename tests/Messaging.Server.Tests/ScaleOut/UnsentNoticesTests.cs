using Messaging.Server.Hosting;
using Messaging.Testing;
using StackExchange.Redis;

namespace Messaging.Server.Tests.ScaleOut;

/// <summary>What a node keeps of the notices it could not publish while Redis was down (the cluster test proves the rest).</summary>
public sealed class UnsentNoticesTests
{
    private static readonly RedisChannel Aborts = RedisChannel.Literal(":device-aborts");
    private static readonly RedisChannel RoutingChanged = RedisChannel.Literal(":routing-changes");
    private static readonly TimeSpan KeptFor = TimeSpan.FromMinutes(5);

    private readonly ManualTimeProvider clock = new();

    [Fact]
    public void StillRelevant_IsKeptAfterBeingReadUntilTheBoundPassesSinceTheFirstFailure()
    {
        var notices = new UnsentNotices(clock, KeptFor);
        notices.Keep(Aborts, "device-1");
        clock.Advance(TimeSpan.FromMinutes(3));
        notices.Keep(RoutingChanged, "node-a");
        notices.Keep(Aborts, "device-1"); // failed again: still kept since its first failure

        // Read (and published again) once: kept, for a node whose connection comes back later.
        Assert.Equal(2, notices.StillRelevant().Count);
        Assert.Equal(2, notices.StillRelevant().Count);

        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal([(RoutingChanged, "node-a")], notices.StillRelevant());

        clock.Advance(TimeSpan.FromMinutes(3));
        Assert.Empty(notices.StillRelevant());
    }

    [Fact]
    public void Keep_BeyondCapacity_DropsAndCountsTheNewOnes()
    {
        var notices = new UnsentNotices(clock, KeptFor);
        for (var i = 0; i < UnsentNotices.Capacity + 3; i++)
        {
            notices.Keep(Aborts, $"device-{i}");
        }

        var kept = notices.StillRelevant();
        Assert.Equal(UnsentNotices.Capacity, kept.Count);
        Assert.Contains((Aborts, "device-0"), kept);
        Assert.DoesNotContain((Aborts, $"device-{UnsentNotices.Capacity}"), kept);
        Assert.Equal(3, notices.Dropped);
    }
}
