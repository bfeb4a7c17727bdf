using System.Net;
using Messaging.Contracts;
using Messaging.Server.Tests.Features.Accounts;
using Messaging.Testing;
using StackExchange.Redis;

namespace Messaging.Server.Tests.ScaleOut;

/// <summary>
/// With the nodes sharing a Redis, a caller has one rate-limit budget across them, not one per node: a balancer that
/// spreads a client's sign-ins over two nodes gives it no more tries. While Redis is down each node counts alone, and
/// sign-ins are still answered. Both nodes allow 3 sign-in requests per minute per client address; the requests here
/// ask for a device challenge, which changes nothing. They come through a trusted proxy (127.0.0.1) for a client of
/// their own, so that the sign-ins that set up the cluster's people, from 127.0.0.1 itself, leave its budget whole.
/// </summary>
public sealed class SharedRateLimitTests : IAsyncLifetime
{
    private const int SignInsPerMinute = 3;
    private const string Client = "198.51.100.7";
    private TwoNodeCluster cluster = null!;
    private HttpClient nodeA = null!;
    private HttpClient nodeB = null!;

    public async ValueTask InitializeAsync()
    {
        cluster = await TwoNodeCluster.StartAsync(new Dictionary<string, string>
        {
            ["Messaging__RateLimits__SignInsPerMinute"] = SignInsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Messaging__TrustedProxies__0"] = "127.0.0.1",
        });
        nodeA = ThroughProxy(cluster.NodeA);
        nodeB = ThroughProxy(cluster.NodeB);
    }

    public async ValueTask DisposeAsync()
    {
        nodeA.Dispose();
        nodeB.Dispose();
        await cluster.DisposeAsync();
    }

    [Fact]
    public async Task SignIns_SpreadOverTwoNodes_ShareOneBudgetAndRedisHoldsNoAddress()
    {
        // Two on node A, one on node B: three in all, each node under its own budget.
        Assert.Equal(HttpStatusCode.OK, (await ChallengeAsync(nodeA)).Status);
        Assert.Equal(HttpStatusCode.OK, (await ChallengeAsync(nodeB)).Status);
        Assert.Equal(HttpStatusCode.OK, (await ChallengeAsync(nodeA)).Status);

        // The fourth is refused on either node, with the time until the shared bucket has a token again.
        foreach (var node in new[] { nodeB, nodeA })
        {
            var refused = await ChallengeAsync(node);
            Assert.Equal((HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited), (refused.Status, refused.Code));
            Assert.NotNull(refused.RetryAfter);
            Assert.InRange(refused.RetryAfter!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60 / SignInsPerMinute));
        }

        // Buckets are named by a keyed hash, and live only until they would be full again.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.Redis.ConnectionString);
        var buckets = redis.GetServer(redis.GetEndPoints()[0]).Keys(pattern: "messaging:rate:*").ToList();
        Assert.NotEmpty(buckets);
        foreach (var bucket in buckets)
        {
            Assert.DoesNotContain(Client, bucket.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("127.0.0.1", bucket.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("sign-in", bucket.ToString(), StringComparison.Ordinal);
            var expiry = await redis.GetDatabase().KeyTimeToLiveAsync(bucket);
            Assert.NotNull(expiry);
            Assert.InRange(expiry!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1));
        }
    }

    [Fact]
    public async Task SignIns_WhileRedisIsDown_AreCountedByEachNodeAloneThenSharedAgainOnceItIsBack()
    {
        await cluster.Redis.KillAsync();

        // Each node answers from its own bucket: three each, then refused by that node.
        foreach (var node in new[] { nodeA, nodeB })
        {
            for (var i = 0; i < SignInsPerMinute; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await ChallengeAsync(node)).Status);
            }

            Assert.Equal(ErrorCodes.RateLimited, (await ChallengeAsync(node)).Code);
        }

        Assert.Contains("each node counts rate limits alone until it does", cluster.NodeA.Output, StringComparison.Ordinal);

        // Back (empty: this Redis keeps nothing on disk), the two nodes count together again. Until node A reaches Redis,
        // its requests meet its own empty bucket; its first answer from Redis is logged.
        await cluster.Redis.RestartAsync();
        await Eventually.WaitAsync(
            async () => await TwoNodeCluster.ReadinessAsync(cluster.NodeA) == (HttpStatusCode.OK, "Healthy")
                && await TwoNodeCluster.ReadinessAsync(cluster.NodeB) == (HttpStatusCode.OK, "Healthy"),
            "both nodes to reach Redis again");
        await Eventually.WaitAsync(async () => (await ChallengeAsync(nodeA)).Status == HttpStatusCode.OK, "node A to take a sign-in from Redis's bucket");
        await Eventually.WaitAsync(
            () => cluster.NodeA.Output.Contains("rate limits are counted across the nodes", StringComparison.Ordinal), "node A to say so");
        Assert.Equal(HttpStatusCode.OK, (await ChallengeAsync(nodeB)).Status);
        Assert.Equal(HttpStatusCode.OK, (await ChallengeAsync(nodeB)).Status);
        Assert.Equal(ErrorCodes.RateLimited, (await ChallengeAsync(nodeA)).Code);
        Assert.Equal(ErrorCodes.RateLimited, (await ChallengeAsync(nodeB)).Code);
    }

    private static HttpClient ThroughProxy(ServerProcess node)
    {
        var http = new HttpClient { BaseAddress = node.BaseAddress };
        http.DefaultRequestHeaders.Add("X-Forwarded-For", Client);
        return http;
    }

    private static Task<HttpAnswer> ChallengeAsync(HttpClient node) => node.CallAsync(HttpMethod.Post, Routes.SessionChallenge);
}
