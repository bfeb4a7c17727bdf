using System.Net;
using Messaging.Contracts;
using Messaging.Testing;

namespace Messaging.Server.Tests.Hosting;

/// <summary>
/// Behind a load balancer every request comes from the balancer's address. The limits kept per client address must
/// then follow X-Forwarded-For, but only when a trusted proxy sent it: from anyone else it is the caller's own claim.
/// The tests reach the server on loopback, so loopback plays the balancer, and the sign-in policy (two per minute per
/// address here) shows which address a request was counted against.
/// </summary>
public sealed class TrustedProxiesTests
{
    private const string ClientA = "203.0.113.10";
    private const string ClientB = "198.51.100.7";

    [Fact]
    public async Task ForwardedFor_FromATrustedProxy_EachClientHasItsOwnBudget()
    {
        await using var server = await StartAsync("127.0.0.0/8");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        Assert.Equal(HttpStatusCode.OK, await ChallengeAsync(http, ClientA));
        Assert.Equal(HttpStatusCode.OK, await ChallengeAsync(http, ClientA));
        Assert.Equal(HttpStatusCode.TooManyRequests, await ChallengeAsync(http, ClientA));

        // Another client behind the same balancer is not held back by the first.
        Assert.Equal(HttpStatusCode.OK, await ChallengeAsync(http, ClientB));

        // Read from the right through trusted hops (a trusted CDN in front of the balancer), up to the first untrusted
        // one: what a client writes left of that is its own claim.
        Assert.Equal(HttpStatusCode.TooManyRequests, await ChallengeAsync(http, $"{ClientA}, 127.0.0.2"));
        Assert.Equal(HttpStatusCode.OK, await ChallengeAsync(http, $"{ClientB}, 127.0.0.2"));
        Assert.Equal(HttpStatusCode.OK, await ChallengeAsync(http, $"{ClientA}, 192.0.2.1"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("10.0.0.0/8")]
    public async Task ForwardedFor_FromAPeerNotTrusted_IsIgnored(string? trusted)
    {
        await using var server = await StartAsync(trusted);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        Assert.Equal(HttpStatusCode.OK, await ChallengeAsync(http, ClientA));
        Assert.Equal(HttpStatusCode.OK, await ChallengeAsync(http, ClientB));

        // Counted against the peer's own address each time: a caller cannot spread its attempts over made-up addresses.
        Assert.Equal(HttpStatusCode.TooManyRequests, await ChallengeAsync(http, "192.0.2.99"));
    }

    [Theory]
    [InlineData("proxy.internal")]
    [InlineData("10.0.0.1/8")]
    public async Task Start_TrustedProxyNeitherAddressNorNetwork_IsRefused(string entry)
    {
        using var data = new TempDirectory();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(entry, data));

        Assert.Contains("Messaging:TrustedProxies:0 must be an IP address", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AddressesAndNetworks_AreNetworks()
    {
        var parsed = Messaging.Server.Hosting.TrustedProxies.Parse(["10.0.0.5", " 10.0.0.0/8 ", "::1", "fd00::/8"]);

        Assert.Equal(["10.0.0.5/32", "10.0.0.0/8", "::1/128", "fd00::/8"], parsed.Select(n => n.ToString()));
    }

    private static Task<TestServer> StartAsync(string? trustedProxy, TempDirectory? data = null)
    {
        var settings = new Dictionary<string, string?>(Scenario.GenerousLimits) { ["Messaging:RateLimits:SignInsPerMinute"] = "2" };
        if (trustedProxy is not null)
        {
            settings["Messaging:TrustedProxies:0"] = trustedProxy;
        }

        return TestServer.StartAsync(settings, data: data);
    }

    /// <summary>A sign-in challenge (the sign-in policy's cheapest route) with the given X-Forwarded-For.</summary>
    private static async Task<HttpStatusCode> ChallengeAsync(HttpClient http, string forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Routes.SessionChallenge);
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }
}
