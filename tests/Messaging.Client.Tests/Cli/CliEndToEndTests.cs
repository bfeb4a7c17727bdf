using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Messaging.Contracts;
using Messaging.Testing;
using OtpNet;

namespace Messaging.Client.Tests.Cli;

/// <summary>
/// The `messaging` tool, as separate processes against a server process, does the whole bootstrap of issue #4: the
/// operator (made by the server's create-operator command) creates a practice, its admin joins and invites a doctor and
/// a secretary, who invite a patient; they all enrol, register devices and talk. Nothing readable reaches the server's
/// files, its logs or the profiles.
/// </summary>
public sealed class CliEndToEndTests
{
    private const string Marker = "CLI-MARKER-93b1 résultat biologique normal";
    private const string PatientLogin = "patiente.d@example.test";

    [Fact]
    public async Task CliBootstrapsPracticeAndPeople_TheyExchangeMessages_NoPlaintextOrSecretAtRest()
    {
        using var data = new TempDirectory();
        await using var server = new ServerProcess(data);
        await server.StartAsync();
        await using var scenario = await Scenario.StartAsync(server);
        using var profiles = new TempDirectory();
        var url = server.BaseAddress.ToString();
        var secrets = new List<string> { Scenario.Password };

        // The operator (TOTP enrolled by the scenario: its code for this 30-s step is spent) signs in with recovery codes.
        var op = new Person(new CliRunner(Path.Combine(profiles.Path, "operator"), Scenario.Password), scenario.Operator.AccountId.ToString(), scenario.Operator.RecoveryCodes);
        await op.SignedInAsync("login", "--server", url, "--login", scenario.Operator.Login);
        var created = Lines(await op.SignedInAsync("practice", "create", "--name", "Cabinet du Parc"));
        var practice = created[0];

        var admin = await JoinAsync(profiles, url, "admin", created[1], secrets);
        var doctor = await JoinAsync(profiles, url, "doctor", await admin.SignedInAsync("invite", "--practice", practice, "--role", Roles.Doctor, "--name", "Dr Martin"), secrets);
        var secretary = await JoinAsync(profiles, url, "secretary", await admin.SignedInAsync("invite", "--practice", practice, "--role", Roles.Secretary), secrets);
        var doctorDevice = await doctor.SignedInAsync("device", "register");
        var secretaryDevice = await secretary.SignedInAsync("device", "register");

        // From here the secretary has a device: its session (refresh token + device key) gives the verified token, no code.
        var patient = await PatientJoinsAsync(scenario, profiles, url, await secretary.Cli.RunAsync(
            "invite", "--practice", practice, "--role", Roles.Patient, "--email", PatientLogin, "--name", "Mme D."));
        var conversation = await secretary.Cli.RunAsync("conversations", "create", "--practice", practice, "--with", doctor.AccountId, patient.AccountId);

        var doctorListens = doctor.Cli.RunAsync(["listen", "--count", "1", "--json"], null, 90);
        var patientListens = patient.Cli.RunAsync(["listen", "--count", "1", "--json"], null, 90);
        var sentId = await secretary.Cli.RunAsync("send", "--conversation", conversation, "--text", Marker);
        var received = JsonDocument.Parse((await doctorListens).Output).RootElement;
        var patientReceived = JsonDocument.Parse((await patientListens).Output).RootElement;
        var secretaryListens = secretary.Cli.RunAsync(["listen", "--count", "1", "--json"], null, 90);
        await doctor.Cli.RunAsync("send", "--conversation", conversation, "--text", "Bien reçu.");
        var reply = JsonDocument.Parse((await secretaryListens).Output).RootElement;

        Assert.Equal(Marker, received.GetProperty("text").GetString());
        Assert.Equal(sentId, received.GetProperty("messageId").GetString());
        Assert.Equal(secretary.AccountId, received.GetProperty("senderAccountId").GetString());
        Assert.Equal(Marker, patientReceived.GetProperty("text").GetString());
        Assert.Equal("Bien reçu.", reply.GetProperty("text").GetString());
        Assert.Contains(conversation, await doctor.Cli.RunAsync("conversations", "list"), StringComparison.Ordinal);
        var members = await admin.SignedInAsync("practice", "members", "--practice", practice);
        Assert.Contains($"{doctor.AccountId} {Roles.Doctor} Dr Martin", members, StringComparison.Ordinal);
        Assert.Contains($"{secretary.AccountId} {Roles.Secretary}", members, StringComparison.Ordinal);
        Assert.Contains($"practice {practice} role {Roles.Doctor}", await doctor.Cli.RunAsync("whoami"), StringComparison.Ordinal);
        Assert.StartsWith("terms ", await patient.Cli.RunAsync("consent", "show"), StringComparison.Ordinal);

        // Both ends compute the same safety number for their pair of devices.
        var doctorView = Lines(await doctor.Cli.RunAsync("safety-number", "--device", secretaryDevice))[0];
        var secretaryView = Lines(await secretary.Cli.RunAsync("safety-number", "--device", doctorDevice))[0];
        Assert.Equal(doctorView, secretaryView);
        Assert.Equal(60, doctorView.Count(char.IsAsciiDigit));

        // A wrong code: the server's problem code, exit 1.
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => op.Cli.RunAsync(
            ["practice", "create", "--name", "Refusé", "--method", SecondFactors.RecoveryCode], Code("aaaaa-aaaaa"), 60));
        Assert.Contains($"error: {ErrorCodes.InvalidCode}", refused.Message, StringComparison.Ordinal);

        secrets.Add(created[1]);
        await server.KillAsync();
        AssertNothingReadableAtRest(data, profiles, server.Output, secrets);
    }

    /// <summary>Accepts a staff invitation, enrols TOTP from the printed secret and keeps the recovery codes printed once.</summary>
    private static async Task<Person> JoinAsync(TempDirectory profiles, string url, string name, string invitation, List<string> secrets)
    {
        var login = Scenario.UniqueLogin(name);
        var cli = new CliRunner(Path.Combine(profiles.Path, name), Scenario.Password);
        var accountId = (await cli.RunAsync(["invitation", "accept", "--server", url, "--token", invitation, "--login", login], NewPassword, 60)).Output;
        string? secret = null;
        var enrolled = await RunInteractiveAsync(cli, ["mfa", "enrol-totp"], line =>
        {
            if (!line.StartsWith("secret ", StringComparison.Ordinal))
            {
                return Task.FromResult<string?>(null);
            }

            secret = line["secret ".Length..];
            return Task.FromResult<string?>(new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp());
        });
        var recoveryCodes = Lines(enrolled).SkipWhile(l => !l.StartsWith("recovery codes", StringComparison.Ordinal)).Skip(1).ToList();
        Assert.Equal(10, recoveryCodes.Count);
        secrets.AddRange([invitation, secret!, .. recoveryCodes]);
        return new Person(cli, accountId, new Queue<string>(recoveryCodes));
    }

    /// <summary>The patient accepts the current terms with the invitation, then gives the code emailed for their new device.</summary>
    private static async Task<Person> PatientJoinsAsync(Scenario scenario, TempDirectory profiles, string url, string invitation)
    {
        var cli = new CliRunner(Path.Combine(profiles.Path, "patient"), Scenario.Password);
        var terms = await cli.RunAsync("terms", "--server", url);
        var accountId = (await cli.RunAsync(
            ["invitation", "accept", "--server", url, "--token", invitation, "--login", PatientLogin, "--accept-terms", terms], NewPassword, 60)).Output;
        var emailsBefore = scenario.Mailbox.To(PatientLogin).Count;
        await RunInteractiveAsync(cli, ["device", "register"], async line =>
            line.StartsWith("A code for this new device", StringComparison.Ordinal) ? await scenario.Mailbox.LatestCodeAsync(PatientLogin, emailsBefore + 1) : null);
        return new Person(cli, accountId, new Queue<string>());
    }

    private static void AssertNothingReadableAtRest(TempDirectory data, TempDirectory profiles, string serverLogs, List<string> secrets)
    {
        var marker = Encoding.UTF8.GetBytes("CLI-MARKER");
        foreach (var (file, bytes) in data.ReadAllFiles().Concat(profiles.ReadAllFiles()))
        {
            Assert.False(bytes.AsSpan().IndexOf(marker) >= 0, $"{file} holds the plaintext");
            foreach (var secret in secrets)
            {
                Assert.False(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) >= 0, $"{file} holds a password, token, TOTP secret or recovery code");
            }
        }

        // profile.json holds only what is safe in clear; keys, sessions and the refresh token are sealed in the device folder.
        foreach (var profile in Directory.GetFiles(profiles.Path, "profile.json", SearchOption.AllDirectories))
        {
            var names = JsonDocument.Parse(File.ReadAllText(profile)).RootElement.EnumerateObject().Select(p => p.Name);
            Assert.Empty(names.Except(["server", "login", "accountId", "deviceId", "stateSalt"]));
        }

        Assert.DoesNotContain("CLI-MARKER", serverLogs, StringComparison.Ordinal);
        Assert.All(secrets, secret => Assert.DoesNotContain(secret, serverLogs, StringComparison.Ordinal));
    }

    /// <summary>
    /// Runs `messaging` with standard input open, answering what it prints (a TOTP secret, the note that a code was
    /// emailed) as a person at the terminal would.
    /// </summary>
    private static async Task<string> RunInteractiveAsync(CliRunner cli, string[] args, Func<string, Task<string?>> answer)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment = { ["MESSAGING_PASSWORD"] = Scenario.Password },
        };
        foreach (var arg in (string[])[RepositoryPaths.CliAssembly, "--profile", cli.ProfileFolder, .. args])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var errors = new StringBuilder();
        async Task PumpAsync(StreamReader reader, StringBuilder into)
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                into.AppendLine(line);
                if (await answer(line) is { } reply)
                {
                    await process.StandardInput.WriteLineAsync(reply);
                    await process.StandardInput.FlushAsync();
                }
            }
        }

        var pumps = Task.WhenAll(PumpAsync(process.StandardOutput, output), PumpAsync(process.StandardError, errors));
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"`messaging {string.Join(' ', args)}` did not finish: {errors}");
            }
        }

        await pumps;
        Assert.True(process.ExitCode == 0, $"`messaging {string.Join(' ', args)}` exited {process.ExitCode}: {errors}");
        return output.ToString().Trim();
    }

    private static Dictionary<string, string> NewPassword => new() { ["MESSAGING_NEW_PASSWORD"] = Scenario.Password };

    private static Dictionary<string, string> Code(string code) => new() { ["MESSAGING_CODE"] = code };

    private static string[] Lines(string output) => output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A person's CLI profile, and the recovery codes they sign in with (a TOTP code works once per 30-s step).</summary>
    private sealed record Person(CliRunner Cli, string AccountId, Queue<string> RecoveryCodes)
    {
        public async Task<string> SignedInAsync(params string[] args) =>
            (await Cli.RunAsync([.. args, "--method", SecondFactors.RecoveryCode], Code(RecoveryCodes.Dequeue()), 60)).Output;
    }
}
