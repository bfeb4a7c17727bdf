using System.Text;
using Messaging.Testing;

namespace Messaging.Server.Tests.Security;

/// <summary>
/// The server never holds plaintext, and its files and logs hold no secret it was handed: a scan of the data
/// folder (database, WAL, key file) and of every log line, at the most verbose level, for known values.
/// </summary>
public sealed class NoSecretsAtRestTests
{
    private const string Marker = "PLAINTEXT-MARKER-7f3a9c diagnostic: angine de poitrine";

    [Fact]
    public async Task Exchange_DataFilesAndLogs_ContainNoPlaintextPersonalDataPasswordSecretOrToken()
    {
        var cipher = new TestCiphertext();
        await using var server = await TestServer.StartAsync();
        await using var scenario = await Scenario.StartAsync(server);
        var alice = await scenario.MemberAsync();
        var bob = await scenario.PatientAsync();
        var conversation = await scenario.ConversationAsync(alice, bob);
        var aliceDevice = await scenario.DeviceAsync(alice);
        var bobDevice = await scenario.DeviceAsync(bob);
        var bobOffline = await scenario.DeviceAsync(bob, connect: false);
        var ciphertexts = new List<byte[]>();
        for (var i = 0; i < 5; i++)
        {
            await aliceDevice.SendToConversationAsync(conversation, _ =>
            {
                var sealedBytes = cipher.Seal($"{Marker} #{i}");
                ciphertexts.Add(sealedBytes);
                return sealedBytes;
            });
        }

        Assert.Equal(5, (await bobDevice.ReceiveAsync(5)).Count);
        var deviceToken = await aliceDevice.GetAccessTokenAsync();
        // Browsers must put the token in the hub URL's query string: it must not reach the logs from there either.
        using (var http = new HttpClient { BaseAddress = server.BaseAddress })
        {
            using var response = await http.GetAsync(new Uri($"/hubs/messaging?id=probe&access_token={deviceToken}", UriKind.Relative));
        }

        await server.StopAsync();

        var secrets = new Dictionary<string, string>
        {
            ["plaintext"] = Marker,
            ["plaintext fragment"] = "angine de poitrine",
            ["alice's login"] = alice.Login,
            ["the patient's login and email address"] = bob.Login,
            ["the patient's name"] = "Patient Test",
            ["the patient's phone"] = "+33600000000",
            ["alice's TOTP secret"] = OtpNet.Base32Encoding.ToString(alice.TotpSecret!),
            ["a recovery code"] = alice.RecoveryCodes.Peek(),
            ["the password"] = Scenario.Password,
            ["an account token"] = alice.Token,
            ["a device token"] = deviceToken,
            ["a token signature"] = deviceToken.Split('.')[2],
        };
        // The pickup folder holds the outgoing emails themselves (addressed to the patient): it is the mail system, not
        // the store, and production sends by SMTP instead.
        var files = server.Data.ReadAllFiles().Where(f => !f.File.Contains("mail-pickup", StringComparison.Ordinal)).ToList();
        Assert.Contains(files, f => f.File.EndsWith("messaging.db-wal", StringComparison.Ordinal) || f.File.EndsWith("messaging.db", StringComparison.Ordinal));
        foreach (var (file, bytes) in files)
        {
            foreach (var (what, secret) in secrets)
            {
                Assert.False(Contains(bytes, secret), $"{Path.GetFileName(file)} contains {what}");
            }
        }

        // The offline device's ciphertext is stored (the scan reads what the server holds), but the logs never hold
        // message bodies.
        Assert.Contains(files, f => ciphertexts.Any(c => Contains(f.Bytes, c)));
        var logs = server.Logs.AllText;
        Assert.NotEmpty(server.Logs.Lines);
        foreach (var (what, secret) in secrets)
        {
            Assert.False(logs.Contains(secret, StringComparison.OrdinalIgnoreCase), $"the logs contain {what}");
        }

        foreach (var body in ciphertexts)
        {
            Assert.DoesNotContain(Convert.ToBase64String(body), logs, StringComparison.Ordinal);
        }

        Assert.NotEqual(Guid.Empty, bobOffline.DeviceId);
    }

    private static bool Contains(byte[] haystack, string needle) =>
        Contains(haystack, Encoding.UTF8.GetBytes(needle)) || Contains(haystack, Encoding.Unicode.GetBytes(needle));

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
