using Messaging.Client;
using Messaging.Contracts;

namespace Messaging.Cli;

/// <summary>
/// Password sign-in and the step the server asks for next: a TOTP or recovery code for staff, the code emailed to a
/// patient for a new device. Tokens live only in memory, for the one command that needs them. The method is the
/// user's <c>--method</c>; null means TOTP for staff.
/// </summary>
internal sealed class SignInFlow(MessagingApi api, string login, string password, string? method)
{
    /// <summary>The password step alone; warns about failed attempts the person may not have made.</summary>
    public async Task<SignInResponse> PasswordAsync(CancellationToken cancellationToken)
    {
        var signedIn = await api.SignInAsync(login, password, cancellationToken);
        if (signedIn.FailedAttemptsSinceLastSignIn > 0)
        {
            var last = signedIn.LastFailedAttemptAtUnixMs is { } at ? $", the last at {DateTimeOffset.FromUnixTimeMilliseconds(at):u}" : "";
            await Console.Error.WriteLineAsync(
                $"warning: {signedIn.FailedAttemptsSinceLastSignIn} failed sign-in attempt(s) since your last sign-in{last}. Not you? Change your password.");
        }

        return signedIn;
    }

    /// <summary>A verified account token; <paramref name="newDevice"/> says a patient's new device needs the emailed code.</summary>
    public async Task<string> VerifiedTokenAsync(bool newDevice, CancellationToken cancellationToken) =>
        await CompleteAsync(await PasswordAsync(cancellationToken), newDevice, cancellationToken);

    /// <summary>Completes the second step of <paramref name="signedIn"/>, reading the code the server asks for.</summary>
    public async Task<string> CompleteAsync(SignInResponse signedIn, bool newDevice, CancellationToken cancellationToken)
    {
        switch (signedIn.SecondFactor)
        {
            case SignInStates.EnrolmentRequired:
                throw new CliException("This account needs a second factor first: run `messaging mfa enrol-totp`.");
            case SignInStates.Required:
                var chosen = method ?? SecondFactors.Totp;
                var verified = await api.VerifySecondFactorAsync(signedIn.AccessToken, chosen, Secrets.Code(chosen), cancellationToken);
                return verified.AccessToken;
            case SignInStates.NewDeviceCode:
                return await EmailCodeAsync(signedIn.AccessToken, cancellationToken);
            case SignInStates.Satisfied when (newDevice || method == SecondFactors.EmailCode) && signedIn.Methods.Contains(SecondFactors.EmailCode):
                return await EmailCodeAsync(signedIn.AccessToken, cancellationToken);
            case SignInStates.Satisfied:
                return signedIn.AccessToken;
            default:
                throw new CliException($"The server asks for a sign-in step this tool does not know ({signedIn.SecondFactor}): update it.");
        }
    }

    private async Task<string> EmailCodeAsync(string accountToken, CancellationToken cancellationToken)
    {
        await api.SendEmailCodeAsync(accountToken, cancellationToken);
        await Console.Error.WriteLineAsync("A code for this new device was sent to your email address.");
        var verified = await api.VerifySecondFactorAsync(accountToken, SecondFactors.EmailCode, Secrets.Code(SecondFactors.EmailCode), cancellationToken);
        return verified.AccessToken;
    }
}
