using System.Net;
using Messaging.Contracts;
using Messaging.Server.Features.Audit;
using Messaging.Server.Tests.Features.Accounts;
using Messaging.Testing;

namespace Messaging.Server.Tests.Features.Audit;

/// <summary>
/// A flood of rate-limited refusals costs one audit row at once and then one row a minute that counts the rest, so
/// that a limit does not turn a flood into as many store writes; every refusal is still counted. The limit used is
/// sign-ins per client address, refused before any account is looked at (the tests send no valid login at all).
/// The server's clock is a manual one, which decides when a minute is over.
/// </summary>
public sealed class RefusalTallyTests
{
    private static readonly LoginRequest Login = new("nobody@cabinet.example", Scenario.Password);

    [Fact]
    public async Task SignInFlood_IsOneRowAtOnceThenOneRowAMinuteCountingTheRest()
    {
        var clock = new ManualTimeProvider();
        await using var server = await TestServer.StartAsync(SignInsPerMinute(1), clock);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        await http.CallAsync(HttpMethod.Post, Routes.Sessions, null, Login); // the one the limit lets through
        await RefusedAsync(http, 20);
        await AssertOccurrencesAsync(server, 1);
        Assert.Single(DeniedLogLines(server));

        await server.Get<RefusalTallyFlush>().FlushAsync(all: false);
        await AssertOccurrencesAsync(server, 1); // the minute is not over

        clock.Advance(RefusalTally.Window);
        await FlushThenAssertOccurrencesAsync(server, 1, 19);
        Assert.Contains("rate-limited, 19 more times within a minute", DeniedLogLines(server)[^1], StringComparison.Ordinal);

        // Still refused after that row: counted in the next minute, which the row of 19 opened.
        await RefusedAsync(http, 5);
        clock.Advance(RefusalTally.Window);
        await FlushThenAssertOccurrencesAsync(server, 1, 19, 5);

        // A minute without a refusal closes the kind: the next refusal is written at once again.
        clock.Advance(RefusalTally.Window);
        await server.Get<RefusalTallyFlush>().FlushAsync(all: false);
        await RefusedAsync(http, 1);
        await AssertOccurrencesAsync(server, 1, 19, 5, 1);
        Assert.Equal(4, DeniedLogLines(server).Count);
        Assert.All(await RateLimitedRowsAsync(server), e =>
            Assert.Equal(("http.request", null, null, $"POST {Routes.Sessions}"), (e.Action, e.AccountId, e.DeviceId, e.Target)));
    }

    [Fact]
    public async Task ServerStoppedWithinTheMinute_WritesTheCountItHeld()
    {
        await using var server = await TestServer.StartAsync(SignInsPerMinute(1), new ManualTimeProvider());
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        await http.CallAsync(HttpMethod.Post, Routes.Sessions, null, Login);
        await RefusedAsync(http, 10);

        await server.RestartAsync();

        await AssertOccurrencesAsync(server, 1, 9);
    }

    [Fact]
    public async Task RepeatedDenials_OtherThanRateLimited_AreEachWrittenAtOnce()
    {
        await using var server = await TestServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var device = Guid.NewGuid();
        var refresh = new RefreshRequest(device, "not-a-refresh-token", [1], [2]);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(ErrorCodes.SessionEnded, (await http.CallAsync(HttpMethod.Post, Routes.RefreshSession, null, refresh)).Code);
        }

        var rows = (await server.AuditAsync()).Where(e => e.Action == "session.refresh" && e.DeviceId == device).ToList();
        Assert.Equal(3, rows.Count);
        Assert.All(rows, e => Assert.Equal((AuditOutcomes.Denied, ErrorCodes.SessionEnded, 1), (e.Outcome, e.Reason, e.Occurrences)));
    }

    [Fact]
    public void KindsBeyondTheBound_AreEachWrittenAtOnceInsteadOfCounted()
    {
        var tally = new RefusalTally(new ManualTimeProvider());
        static RefusalKind Kind(int i) => new("http.request", null, null, $"POST /api/things/{i}", ErrorCodes.RateLimited);

        Assert.All(Enumerable.Range(0, RefusalTally.MaxKinds), i => Assert.True(tally.CountIsFirst(Kind(i))));
        Assert.False(tally.CountIsFirst(Kind(0)));
        Assert.True(tally.CountIsFirst(Kind(RefusalTally.MaxKinds)));
        Assert.True(tally.CountIsFirst(Kind(RefusalTally.MaxKinds))); // not held: written every time

        Assert.Equal([(Kind(0), 1)], tally.TakeClosedWindows(all: true));
        Assert.True(tally.CountIsFirst(Kind(RefusalTally.MaxKinds))); // room again: held from now on
        Assert.False(tally.CountIsFirst(Kind(RefusalTally.MaxKinds)));
    }

    private static Dictionary<string, string?> SignInsPerMinute(int perMinute) =>
        new(Scenario.GenerousLimits) { ["Messaging:RateLimits:SignInsPerMinute"] = perMinute.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    private static async Task RefusedAsync(HttpClient http, int times)
    {
        for (var i = 0; i < times; i++)
        {
            var answer = await http.CallAsync(HttpMethod.Post, Routes.Sessions, null, Login);
            Assert.Equal((HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited), (answer.Status, answer.Code));
        }
    }

    private static async Task<List<AuditEvent>> RateLimitedRowsAsync(TestServer server) =>
        [.. (await server.AuditAsync()).Where(e => e.Outcome == AuditOutcomes.Denied && e.Reason == ErrorCodes.RateLimited).Reverse()];

    /// <summary>Asserts the occurrences of the rate-limited rows, oldest first.</summary>
    private static async Task AssertOccurrencesAsync(TestServer server, params int[] expected) =>
        Assert.Equal(expected, (await RateLimitedRowsAsync(server)).Select(e => e.Occurrences));

    /// <summary>
    /// Flushes the windows that are over and waits for the rows to number as many as <paramref name="expected"/>: the
    /// server's own flush, on its timer, may have taken a window first and still be writing it.
    /// </summary>
    private static async Task FlushThenAssertOccurrencesAsync(TestServer server, params int[] expected)
    {
        await server.Get<RefusalTallyFlush>().FlushAsync(all: false);
        await Eventually.WaitAsync(
            async () => (await RateLimitedRowsAsync(server)).Count >= expected.Length, $"{expected.Length} rate-limited audit rows");

        await AssertOccurrencesAsync(server, expected);
    }

    private static List<string> DeniedLogLines(TestServer server) =>
        [.. server.Logs.Lines.Where(l => l.Contains("Denied http.request", StringComparison.Ordinal))];
}
