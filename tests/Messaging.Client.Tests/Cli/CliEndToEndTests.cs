using System.Text;
using System.Text.Json;
using Messaging.Testing;

namespace Messaging.Client.Tests.Cli;

/// <summary>Two `messaging` processes talk through a real server; nothing readable reaches the server or the disks.</summary>
public sealed class CliEndToEndTests
{
    private const string Marker = "CLI-MARKER-93b1 résultat biologique normal";

    [Fact]
    public async Task TwoCliProcesses_ExchangeMessages_ServerAndProfilesHoldNoPlaintext()
    {
        await using var server = await TestServer.StartAsync();
        await using var scenario = await Scenario.StartAsync(server);
        using var profiles = new TempDirectory();
        var url = server.BaseAddress.ToString();
        var admin = new CliRunner(Path.Combine(profiles.Path, "admin"), Scenario.Password);
        await admin.RunAsync("login", "--server", url, "--login", scenario.Admin.Login);
        var aliceLogin = Scenario.UniqueLogin("alice");
        var bobLogin = Scenario.UniqueLogin("bob");
        var newPassword = new Dictionary<string, string> { ["MESSAGING_NEW_PASSWORD"] = Scenario.Password };
        var aliceId = (await admin.RunAsync(["create-account", "--login", aliceLogin], newPassword, 60)).Output;
        var bobId = (await admin.RunAsync(["create-account", "--login", bobLogin], newPassword, 60)).Output;

        var alice = new CliRunner(Path.Combine(profiles.Path, "alice"), Scenario.Password);
        var bob = new CliRunner(Path.Combine(profiles.Path, "bob"), Scenario.Password);
        await alice.RunAsync("login", "--server", url, "--login", aliceLogin);
        await bob.RunAsync("login", "--server", url, "--login", bobLogin);
        var aliceDevice = await alice.RunAsync("device", "register");
        var bobDevice = await bob.RunAsync("device", "register");
        var conversation = await alice.RunAsync("conversations", "create", "--with", bobId);

        var bobListens = bob.RunAsync(["listen", "--count", "1", "--json"], null, 90);
        var sentId = await alice.RunAsync("send", "--conversation", conversation, "--text", Marker);
        var received = JsonDocument.Parse((await bobListens).Output).RootElement;
        var aliceListens = alice.RunAsync(["listen", "--count", "1", "--json"], null, 90);
        await bob.RunAsync("send", "--conversation", conversation, "--text", "Bien reçu.");
        var reply = JsonDocument.Parse((await aliceListens).Output).RootElement;

        Assert.Equal(Marker, received.GetProperty("text").GetString());
        Assert.Equal(sentId, received.GetProperty("messageId").GetString());
        Assert.Equal(aliceId, received.GetProperty("senderAccountId").GetString());
        Assert.Equal("Bien reçu.", reply.GetProperty("text").GetString());
        Assert.Contains(conversation, await bob.RunAsync("conversations", "list"), StringComparison.Ordinal);

        // Both ends compute the same safety number for their pair of devices.
        var aliceView = (await alice.RunAsync("safety-number", "--device", bobDevice)).Split('\n')[0];
        var bobView = (await bob.RunAsync("safety-number", "--device", aliceDevice)).Split('\n')[0];
        Assert.Equal(aliceView, bobView);
        Assert.Equal(60, aliceView.Count(char.IsAsciiDigit));

        await server.StopAsync();
        var marker = Encoding.UTF8.GetBytes("CLI-MARKER");
        foreach (var (file, bytes) in server.Data.ReadAllFiles().Concat(profiles.ReadAllFiles()))
        {
            Assert.False(bytes.AsSpan().IndexOf(marker) >= 0, $"{file} holds the plaintext");
            Assert.False(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(Scenario.Password)) >= 0, $"{file} holds the password");
        }

        Assert.DoesNotContain("CLI-MARKER", server.Logs.AllText, StringComparison.Ordinal);
    }
}
