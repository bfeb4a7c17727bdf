using System.Net;
using Messaging.Contracts;
using Messaging.Server.Features.Audit;
using Messaging.Testing;
using Microsoft.AspNetCore.SignalR.Client;

namespace Messaging.Server.Tests.Features.Accounts;

/// <summary>
/// Device sessions: opened by a challenge the device signs, renewed with single-use refresh tokens and a fresh
/// signature; a replayed refresh token ends the whole family and its access tokens at once; sign-out, sign-out
/// everywhere, revocation and inactivity end sessions. The server's clock is moved by hand (challenges, inactivity).
/// </summary>
public sealed class DeviceSessionTests() : ServerTest(new Dictionary<string, string?> { ["Messaging:Tokens:SessionInactivityTimeout"] = InactivityTimeout.ToString() })
{
    private static readonly TimeSpan InactivityTimeout = TimeSpan.FromHours(1);

    [Fact]
    public async Task Refresh_CurrentToken_GivesNewAccessAndRefreshTokens()
    {
        var alice = await Scenario.MemberAsync();
        var (deviceId, identity) = await Scenario.DeviceWithIdentityAsync(alice);
        var opened = await Scenario.DeviceSessionAsync(alice, deviceId);

        var refreshed = await Scenario.RefreshAsync(deviceId, opened.RefreshToken, identity);

        Assert.Equal((alice.AccountId, deviceId), (refreshed.AccountId, refreshed.DeviceId));
        Assert.NotEqual(opened.AccessToken, refreshed.AccessToken);
        Assert.NotEqual(opened.RefreshToken, refreshed.RefreshToken);
        Assert.Equal(opened.SessionExpiresAtUnixMs, refreshed.SessionExpiresAtUnixMs);
        Assert.Equal(HttpStatusCode.OK, (await StatusAsync(refreshed.AccessToken, deviceId)).Status);
        var next = await Scenario.RefreshAsync(deviceId, refreshed.RefreshToken, identity);
        Assert.Equal(HttpStatusCode.OK, (await StatusAsync(next.AccessToken, deviceId)).Status);
    }

    [Fact]
    public async Task Refresh_PreviousTokenAgain_EndsTheWholeFamilyAndItsAccessTokensAtOnce()
    {
        var alice = await Scenario.MemberAsync();
        var (deviceId, identity) = await Scenario.DeviceWithIdentityAsync(alice);
        var (otherDeviceId, _) = await Scenario.DeviceWithIdentityAsync(alice);
        var other = await Scenario.DeviceSessionAsync(alice, otherDeviceId);
        var opened = await Scenario.DeviceSessionAsync(alice, deviceId);
        var refreshed = await Scenario.RefreshAsync(deviceId, opened.RefreshToken, identity);
        await using var hub = await RawHub.ConnectAsync(Server.BaseAddress, refreshed.AccessToken);
        var closed = RawHub.ClosedSignal(hub);

        await AccountTestKit.RefusedAsync(() => Scenario.RefreshAsync(deviceId, opened.RefreshToken, identity), ErrorCodes.SessionEnded, 401);

        await closed.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await AccountTestKit.RefusedAsync(() => Scenario.RefreshAsync(deviceId, refreshed.RefreshToken, identity), ErrorCodes.SessionEnded, 401);
        Assert.Equal(HttpStatusCode.Unauthorized, (await StatusAsync(refreshed.AccessToken, deviceId)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await StatusAsync(opened.AccessToken, deviceId)).Status);
        Assert.Equal(HttpStatusCode.OK, (await StatusAsync(other.AccessToken, otherDeviceId)).Status);
        await Server.AssertAuditedAsync("session.refresh-reuse", AuditOutcomes.Denied, alice.AccountId, ErrorCodes.SessionEnded);
        var reopened = await Scenario.DeviceSessionAsync(alice, deviceId);
        Assert.Equal(HttpStatusCode.OK, (await StatusAsync(reopened.AccessToken, deviceId)).Status);
    }

    [Fact]
    public async Task Refresh_WrongSignatureOrAnotherDevicesKey_IsInvalidProofAndSpendsNothing()
    {
        var alice = await Scenario.MemberAsync();
        var (deviceId, identity) = await Scenario.DeviceWithIdentityAsync(alice);
        var (_, otherIdentity) = await Scenario.DeviceWithIdentityAsync(alice);
        var opened = await Scenario.DeviceSessionAsync(alice, deviceId);
        var challenge = await Scenario.Api.CreateChallengeAsync(Ct);
        var signature = identity.SignSessionChallenge(challenge.Challenge, deviceId);
        signature[10] ^= 0x01;

        var flipped = await RefreshAnswerAsync(new RefreshRequest(deviceId, opened.RefreshToken, challenge.Challenge, signature));
        var zeros = await RefreshAnswerAsync(new RefreshRequest(deviceId, opened.RefreshToken, challenge.Challenge, new byte[64]));
        var stolen = await RefreshAnswerAsync(
            new RefreshRequest(deviceId, opened.RefreshToken, challenge.Challenge, otherIdentity.SignSessionChallenge(challenge.Challenge, deviceId)));
        var thiefDevice = TestIdentities.NewIdentity();
        var thief = await RefreshAnswerAsync(
            new RefreshRequest(deviceId, opened.RefreshToken, challenge.Challenge, thiefDevice.SignSessionChallenge(challenge.Challenge, deviceId)));

        foreach (var refused in new[] { flipped, zeros, stolen, thief })
        {
            Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.InvalidProof), (refused.Status, refused.Code));
        }

        await Server.AssertAuditedAsync("session.refresh", AuditOutcomes.Denied, alice.AccountId, ErrorCodes.InvalidProof);
        var legitimate = await Scenario.RefreshAsync(deviceId, opened.RefreshToken, identity);
        Assert.Equal(HttpStatusCode.OK, (await StatusAsync(legitimate.AccessToken, deviceId)).Status);
    }

    [Fact]
    public async Task Refresh_ForAnotherDeviceOfTheAccount_IsSessionEnded()
    {
        var alice = await Scenario.MemberAsync();
        var (deviceId, _) = await Scenario.DeviceWithIdentityAsync(alice);
        var (otherDeviceId, otherIdentity) = await Scenario.DeviceWithIdentityAsync(alice);
        var opened = await Scenario.DeviceSessionAsync(alice, deviceId);

        await AccountTestKit.RefusedAsync(() => Scenario.RefreshAsync(otherDeviceId, opened.RefreshToken, otherIdentity), ErrorCodes.SessionEnded, 401);
    }

    [Fact]
    public async Task RefreshAndOpen_ExpiredChallenge_IsInvalidProof()
    {
        var alice = await Scenario.MemberAsync();
        var (deviceId, identity) = await Scenario.DeviceWithIdentityAsync(alice);
        var opened = await Scenario.DeviceSessionAsync(alice, deviceId);
        var challenge = await Scenario.Api.CreateChallengeAsync(Ct);
        var signature = identity.SignSessionChallenge(challenge.Challenge, deviceId);

        Clock.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));
        var refresh = await RefreshAnswerAsync(new RefreshRequest(deviceId, opened.RefreshToken, challenge.Challenge, signature));
        var open = await Http.CallAsync(
            HttpMethod.Post, Routes.DeviceSessions, await Scenario.FreshTokenAsync(alice, cancellationToken: Ct), new DeviceSessionRequest(deviceId, challenge.Challenge, signature));

        Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.InvalidProof), (refresh.Status, refresh.Code));
        Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.InvalidProof), (open.Status, open.Code));
    }

    [Fact]
    public async Task Refresh_ChallengeShortlyBeforeItsExpiry_Works()
    {
        var alice = await Scenario.MemberAsync();
        var (deviceId, identity) = await Scenario.DeviceWithIdentityAsync(alice);
        var opened = await Scenario.DeviceSessionAsync(alice, deviceId);
        var challenge = await Scenario.Api.CreateChallengeAsync(Ct);

        Clock.Advance(TimeSpan.FromMinutes(2) - TimeSpan.FromSeconds(1));
        var refresh = await RefreshAnswerAsync(
            new RefreshRequest(deviceId, opened.RefreshToken, challenge.Challenge, identity.SignSessionChallenge(challenge.Challenge, deviceId)));

        Assert.Equal(HttpStatusCode.OK, refresh.Status);
    }

    /// <summary>The device signs the altered challenge itself: only the server's own MAC over the challenge can catch it.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(12)]
    [InlineData(30)]
    [InlineData(56)]
    public async Task RefreshAndOpen_ChallengeAlteredByOneByte_IsInvalidProof(int index)
    {
        var alice = await Scenario.MemberAsync();
        var (deviceId, identity) = await Scenario.DeviceWithIdentityAsync(alice);
        var opened = await Scenario.DeviceSessionAsync(alice, deviceId);
        var challenge = (await Scenario.Api.CreateChallengeAsync(Ct)).Challenge;
        Assert.InRange(index, 0, challenge.Length - 1);
        challenge[index] ^= index is 1 or 8 ? (byte)0x7F : (byte)0x01;
        var signature = identity.SignSessionChallenge(challenge, deviceId);

        var refresh = await RefreshAnswerAsync(new RefreshRequest(deviceId, opened.RefreshToken, challenge, signature));
        var open = await Http.CallAsync(
            HttpMethod.Post, Routes.DeviceSessions, await Scenario.FreshTokenAsync(alice, cancellationToken: Ct), new DeviceSessionRequest(deviceId, challenge, signature));

        Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.InvalidProof), (refresh.Status, refresh.Code));
        Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.InvalidProof), (open.Status, open.Code));
    }

    [Fact]
    public async Task Refresh_AfterTheInactivityTimeout_IsSessionEndedButEachRefreshRestartsTheWait()
    {
        var alice = await Scenario.MemberAsync();
        var (deviceId, identity) = await Scenario.DeviceWithIdentityAsync(alice);
        var opened = await Scenario.DeviceSessionAsync(alice, deviceId);

        Clock.Advance(InactivityTimeout - TimeSpan.FromMinutes(1));
        var kept = await Scenario.RefreshAsync(deviceId, opened.RefreshToken, identity);
        Clock.Advance(InactivityTimeout - TimeSpan.FromMinutes(1));
        var keptAgain = await Scenario.RefreshAsync(deviceId, kept.RefreshToken, identity);
        Clock.Advance(InactivityTimeout + TimeSpan.FromSeconds(1));

        await AccountTestKit.RefusedAsync(() => Scenario.RefreshAsync(deviceId, keptAgain.RefreshToken, identity), ErrorCodes.SessionEnded, 401);
        Assert.Equal(HttpStatusCode.Unauthorized, (await StatusAsync(keptAgain.AccessToken, deviceId)).Status);
        await Server.AssertAuditedAsync("session.refresh", AuditOutcomes.Denied, alice.AccountId, ErrorCodes.SessionEnded);
    }

    [Fact]
    public async Task SignOut_CurrentSession_EndsThisDeviceOnly()
    {
        var alice = await Scenario.MemberAsync();
        var (deviceId, identity) = await Scenario.DeviceWithIdentityAsync(alice);
        var (otherDeviceId, otherIdentity) = await Scenario.DeviceWithIdentityAsync(alice);
        var session = await Scenario.DeviceSessionAsync(alice, deviceId);
        var other = await Scenario.DeviceSessionAsync(alice, otherDeviceId);
        await using var hub = await RawHub.ConnectAsync(Server.BaseAddress, session.AccessToken);
        var closed = RawHub.ClosedSignal(hub);

        await Scenario.Api.SignOutAsync(session.AccessToken, Ct);

        await closed.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, (await StatusAsync(session.AccessToken, deviceId)).Status);
        await AccountTestKit.RefusedAsync(() => Scenario.RefreshAsync(deviceId, session.RefreshToken, identity), ErrorCodes.SessionEnded, 401);
        Assert.Equal(HttpStatusCode.OK, (await StatusAsync(other.AccessToken, otherDeviceId)).Status);
        var otherRefreshed = await Scenario.RefreshAsync(otherDeviceId, other.RefreshToken, otherIdentity);
        Assert.Equal(HttpStatusCode.OK, (await StatusAsync(otherRefreshed.AccessToken, otherDeviceId)).Status);
        await Server.AssertAuditedAsync("session.sign-out", AuditOutcomes.Success, alice.AccountId);
    }

    [Fact]
    public async Task SignOut_WithAccountTokenNotBoundToADevice_IsDeviceRequired()
    {
        var alice = await Scenario.MemberAsync();

        var refused = await Http.CallAsync(HttpMethod.Delete, Routes.CurrentSession, await Scenario.FreshTokenAsync(alice, cancellationToken: Ct));

        Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.DeviceRequired), (refused.Status, refused.Code));
    }

    [Fact]
    public async Task SignOutEverywhere_EndsEverySessionOfTheAccountAndClosesItsConnections()
    {
        var alice = await Scenario.MemberAsync();
        var bob = await Scenario.MemberAsync();
        var (deviceId, identity) = await Scenario.DeviceWithIdentityAsync(alice);
        var session = await Scenario.DeviceSessionAsync(alice, deviceId);
        var connected = await Scenario.DeviceAsync(alice);
        await connected.WaitForDrainAsync(Scenario.Timeout());
        var drainsBefore = connected.DrainCount;
        var clientToken = await connected.GetAccessTokenAsync(Ct);
        var bobDevice = await Scenario.RegisterDeviceAsync(bob);
        var bobSession = await Scenario.DeviceSessionAsync(bob, bobDevice.DeviceId);
        await using var raw = await RawHub.ConnectAsync(Server.BaseAddress, session.AccessToken);
        var closed = RawHub.ClosedSignal(raw);

        await Scenario.Api.SignOutEverywhereAsync(await Scenario.FreshTokenAsync(alice, cancellationToken: Ct), Ct);

        await closed.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(HubConnectionState.Disconnected, raw.State);
        await Eventually.WaitAsync(() => connected.DrainCount > drainsBefore, "the client to see its connection closed and connect again");
        Assert.Equal(HttpStatusCode.Unauthorized, (await StatusAsync(session.AccessToken, deviceId)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await StatusAsync(clientToken, connected.DeviceId)).Status);
        await AccountTestKit.RefusedAsync(() => Scenario.RefreshAsync(deviceId, session.RefreshToken, identity), ErrorCodes.SessionEnded, 401);
        Assert.NotEqual(clientToken, await connected.GetAccessTokenAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, (await StatusAsync(bobSession.AccessToken, bobDevice.DeviceId)).Status);
        await Server.AssertAuditedAsync("session.sign-out-all", AuditOutcomes.Success, alice.AccountId);
    }

    [Fact]
    public async Task RevokeDevice_EndsItsSessions()
    {
        var alice = await Scenario.MemberAsync();
        var (deviceId, identity) = await Scenario.DeviceWithIdentityAsync(alice);
        var (otherDeviceId, _) = await Scenario.DeviceWithIdentityAsync(alice);
        var session = await Scenario.DeviceSessionAsync(alice, deviceId);
        var other = await Scenario.DeviceSessionAsync(alice, otherDeviceId);

        await Scenario.Api.DeleteDeviceAsync(await Scenario.FreshTokenAsync(alice, cancellationToken: Ct), deviceId, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, (await StatusAsync(session.AccessToken, deviceId)).Status);
        var refresh = await RefreshAnswerAsync(
            new RefreshRequest(deviceId, session.RefreshToken, (await Scenario.Api.CreateChallengeAsync(Ct)).Challenge, new byte[64]));
        Assert.Equal(HttpStatusCode.Unauthorized, refresh.Status);
        await AccountTestKit.RefusedAsync(() => Scenario.RefreshAsync(deviceId, session.RefreshToken, identity), ErrorCodes.SessionEnded, 401);
        await AccountTestKit.RefusedAsync(() => Scenario.DeviceSessionAsync(alice, deviceId), ErrorCodes.DeviceRevoked, 403);
        Assert.Equal(HttpStatusCode.OK, (await StatusAsync(other.AccessToken, otherDeviceId)).Status);
    }

    [Fact]
    public async Task RevokeDevice_ByThePracticeAdmin_EndsItsSessions()
    {
        var alice = await Scenario.MemberAsync();
        var (deviceId, identity) = await Scenario.DeviceWithIdentityAsync(alice);
        var session = await Scenario.DeviceSessionAsync(alice, deviceId);

        await Scenario.Api.DeleteDeviceAsync(await Scenario.FreshTokenAsync(Scenario.Admin, cancellationToken: Ct), deviceId, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, (await StatusAsync(session.AccessToken, deviceId)).Status);
        await AccountTestKit.RefusedAsync(() => Scenario.RefreshAsync(deviceId, session.RefreshToken, identity), ErrorCodes.SessionEnded, 401);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A device-policy route: it answers only to a live session of that device.</summary>
    private Task<HttpAnswer> StatusAsync(string deviceToken, Guid deviceId) =>
        Http.CallAsync(HttpMethod.Get, Routes.DevicePrekeyStatus(deviceId), deviceToken);

    private Task<HttpAnswer> RefreshAnswerAsync(RefreshRequest request) =>
        Http.CallAsync(HttpMethod.Post, Routes.RefreshSession, null, request);
}
