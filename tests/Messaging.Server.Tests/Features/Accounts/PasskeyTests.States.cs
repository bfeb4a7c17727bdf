using System.Net;
using Messaging.Contracts;
using Messaging.Server.Features.Accounts.SecondFactor;

namespace Messaging.Server.Tests.Features.Accounts;

/// <summary>Assertion states that are not this ceremony's: another account's, expired, a registration's, malformed.</summary>
public sealed partial class PasskeyTests
{
    [Fact]
    public async Task CompleteAssertion_StateOfAnotherAccount_Refused()
    {
        var (alice, _) = await EnrolAsync();
        var (bob, _) = await EnrolAsync();
        var aliceSignIn = await api.SignInAsync(alice, Password);
        var bobSignIn = await api.SignInAsync(bob, Password);

        // Bob's options, answered by the authenticator (which holds both passkeys), presented in Alice's session.
        var bobs = await OkAsync<PasskeyOptionsResponse>(await PostAsync(Routes.PasskeyAssertionOptions, bobSignIn.AccessToken, null));
        var answer = new PasskeyAssertionRequest(bobs.State, authenticator.Get(bobs.Options));

        await AssertProblemAsync(await PostAsync(Routes.PasskeySecondFactor, aliceSignIn.AccessToken, answer), HttpStatusCode.Forbidden, ErrorCodes.InvalidCode);
        AssertRefusedBecause("assertion", nameof(PasskeyState.Refusal.OtherAccount));
    }

    [Fact]
    public async Task CompleteAssertion_ExpiredState_Refused()
    {
        var (login, _) = await EnrolAsync();
        var signIn = await api.SignInAsync(login, Password);
        var options = await OkAsync<PasskeyOptionsResponse>(await PostAsync(Routes.PasskeyAssertionOptions, signIn.AccessToken, null));
        var answer = new PasskeyAssertionRequest(options.State, authenticator.Get(options.Options));

        clock.Advance(PasskeyState.Lifetime + TimeSpan.FromSeconds(1));

        await AssertProblemAsync(await PostAsync(Routes.PasskeySecondFactor, signIn.AccessToken, answer), HttpStatusCode.Forbidden, ErrorCodes.InvalidCode);
        AssertRefusedBecause("assertion", nameof(PasskeyState.Refusal.Expired));
    }

    [Theory]
    [InlineData("not-base64url-because-of-*")] // a character outside the alphabet made the decoder throw: a 500
    [InlineData("AAAAA")] // a length no base64 has
    [InlineData("AAAA")] // base64url, too short to hold a header and a MAC
    public async Task CompleteAssertion_MalformedState_RefusedAsMalformed(string state)
    {
        var (login, _) = await EnrolAsync();
        var signIn = await api.SignInAsync(login, Password);
        var options = await OkAsync<PasskeyOptionsResponse>(await PostAsync(Routes.PasskeyAssertionOptions, signIn.AccessToken, null));
        var answer = new PasskeyAssertionRequest(state, authenticator.Get(options.Options));

        await AssertProblemAsync(await PostAsync(Routes.PasskeySecondFactor, signIn.AccessToken, answer), HttpStatusCode.Forbidden, ErrorCodes.InvalidCode);
        AssertRefusedBecause("assertion", nameof(PasskeyState.Refusal.Malformed));
    }

    [Fact]
    public async Task CompleteAssertion_RegistrationState_Refused()
    {
        var (login, _) = await EnrolAsync();
        var signIn = await api.SignInAsync(login, Password);
        var verified = await OkAsync<TokenResponse>(await AssertAsync(signIn.AccessToken));
        var registration = await OkAsync<PasskeyOptionsResponse>(await PostAsync(Routes.PasskeyRegistrationOptions, verified.AccessToken, null));
        var assertion = await OkAsync<PasskeyOptionsResponse>(await PostAsync(Routes.PasskeyAssertionOptions, signIn.AccessToken, null));

        var answer = new PasskeyAssertionRequest(registration.State, authenticator.Get(assertion.Options));

        await AssertProblemAsync(await PostAsync(Routes.PasskeySecondFactor, signIn.AccessToken, answer), HttpStatusCode.Forbidden, ErrorCodes.InvalidCode);
        AssertRefusedBecause("assertion", nameof(PasskeyState.Refusal.OtherCeremony));
    }
}
