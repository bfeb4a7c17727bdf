using System.Net;
using Messaging.Contracts;
using Messaging.Server.Features.Accounts.SecondFactor;
using Messaging.Testing;

namespace Messaging.Server.Tests.Features.Accounts;

/// <summary>
/// Tokens a client sends that are not base64url at all are refused like any other wrong token, never answered 500:
/// the decoder throws on a character outside its alphabet instead of returning false.
/// </summary>
public sealed class MalformedTokenTests
{
    public static TheoryData<string> NotBase64Url => ["not a token", "*", "é", "A", "AAAAA", "AB=C", new string('A', 63) + "!"];

    [Theory]
    [MemberData(nameof(NotBase64Url))]
    public void FromBase64Url_NotBase64Url_IsNull(string text)
    {
        Assert.Null(TokenHash.FromBase64Url(text));
        Assert.Null(TokenHash.IdOf(text));
    }

    [Fact]
    public void IdOf_TokenMadeForAnId_ReadsTheIdBack()
    {
        var id = Guid.NewGuid();

        Assert.Equal(id, TokenHash.IdOf(TokenHash.NewTokenFor(id)));
        Assert.Null(TokenHash.IdOf(TokenHash.NewToken())); // base64url, but not 48 bytes
    }

    [Fact]
    public async Task RefreshAndPasswordReset_TokensThatAreNotBase64Url_AreRefusedNotFailed()
    {
        await using var server = await TestServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        foreach (var token in NotBase64Url)
        {
            var refresh = await http.CallAsync(HttpMethod.Post, Routes.RefreshSession, null, new RefreshRequest(Guid.NewGuid(), token, [1], [2]));
            var reset = await http.CallAsync(HttpMethod.Post, Routes.CompletePasswordReset, null, new CompletePasswordResetRequest(token, Scenario.Password));

            Assert.Equal((HttpStatusCode.Unauthorized, ErrorCodes.SessionEnded), (refresh.Status, refresh.Code));
            Assert.Equal(ErrorCodes.InvalidCode, reset.Code);
        }

        Assert.DoesNotContain(server.Logs.Lines, l => l.Contains("FormatException", StringComparison.Ordinal));
    }
}
