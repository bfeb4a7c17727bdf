using System.Net;
using Messaging.Contracts;
using Messaging.Server.Features.Accounts.SecondFactor;
using Messaging.Server.Features.Accounts.Sessions;
using Messaging.Server.Hosting;
using Messaging.Server.Tests.Features.Accounts;
using Messaging.Testing;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Tests.Hosting;

/// <summary>
/// What the server keeps about people has an end: session families past the absolute session lifetime go with their
/// refresh tokens, audit events past <c>Messaging:Audit:Retention</c>. The server's clock is a manual one; the sweep is
/// run by hand, as its hourly timer would.
/// </summary>
public sealed class RecordSweeperTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sweep_SessionPastItsLifetime_IsDeletedWithItsRefreshTokens()
    {
        var clock = new ManualTimeProvider();
        await using var server = await TestServer.StartAsync(time: clock);
        await using var scenario = await Scenario.StartAsync(server);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var doctor = await scenario.StaffAsync();
        var device = await scenario.RegisterDeviceAsync(doctor);
        var session = await scenario.DeviceSessionAsync(doctor, device.DeviceId);
        var familyId = TokenHash.IdOf(session.RefreshToken)!.Value;
        var wrongProof = new RefreshRequest(device.DeviceId, session.RefreshToken, [1], [2]);

        clock.Advance(TimeSpan.FromDays(30) - TimeSpan.FromMinutes(1));
        await server.Get<RecordSweeper>().SweepAllAsync(Ct);
        Assert.NotNull(await server.Get<ISessionStore>().FindAsync(familyId, Ct)); // a minute short of its lifetime
        Assert.Equal(ErrorCodes.InvalidProof, (await http.CallAsync(HttpMethod.Post, Routes.RefreshSession, null, wrongProof)).Code);

        clock.Advance(TimeSpan.FromMinutes(2));
        await server.Get<RecordSweeper>().SweepAllAsync(Ct);

        Assert.Null(await server.Get<ISessionStore>().FindAsync(familyId, Ct));
        var refused = await http.CallAsync(HttpMethod.Post, Routes.RefreshSession, null, wrongProof);
        Assert.Equal((HttpStatusCode.Unauthorized, ErrorCodes.SessionEnded), (refused.Status, refused.Code)); // no family to check a proof for
        Assert.Contains(server.Logs.Lines, l => l.Contains("Record sweep deleted 1 ended session families", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sweep_AuditEventsPastTheRetention_AreDeletedAndNewerOnesKept()
    {
        var clock = new ManualTimeProvider();
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Messaging:Audit:Retention"] = "10.00:00:00" }, clock);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var refresh = new RefreshRequest(Guid.NewGuid(), "unknown-token", [1], [2]);
        await http.CallAsync(HttpMethod.Post, Routes.RefreshSession, null, refresh); // a denial: one audit event
        clock.Advance(TimeSpan.FromDays(6));
        await http.CallAsync(HttpMethod.Post, Routes.RefreshSession, null, refresh);
        Assert.Equal(2, await RefreshDenialsAsync(server));

        clock.Advance(TimeSpan.FromDays(5)); // the first is now 11 days old, the second 5
        await server.Get<RecordSweeper>().SweepAllAsync(Ct);

        var left = (await server.AuditAsync()).Where(e => e.Action == "session.refresh").ToList();
        Assert.Equal(clock.GetUtcNow() - TimeSpan.FromDays(5), Assert.Single(left).At);
    }

    [Fact]
    public async Task Server_RegistersASweepForEveryKindOfRecordWithAnEnd()
    {
        await using var server = await TestServer.StartAsync();

        Assert.Equal(
            ["audit events", "closed notifications", "ended session families", "expired copies", "expired invitations", "expired notification links"],
            server.Get<IEnumerable<IRecordSweep>>().Select(s => s.Records).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("23:59:59")]
    public async Task Start_AuditRetentionUnderADay_IsRefused(string retention)
    {
        using var data = new TempDirectory();

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            TestServer.StartAsync(new Dictionary<string, string?> { ["Messaging:Audit:Retention"] = retention }, data: data));

        Assert.Contains("Messaging:Audit:Retention must be at least one day", refused.Message, StringComparison.Ordinal);
    }

    private static async Task<int> RefreshDenialsAsync(TestServer server) =>
        (await server.AuditAsync()).Count(e => e.Action == "session.refresh");
}
