using Messaging.Testing;

namespace Messaging.Client.Tests.Secure;

/// <summary>"Decrypted" receipts are a courtesy: one that cannot be sent does not stop a device receiving.</summary>
public sealed partial class SecureMessengerTests
{
    [Fact]
    public async Task Receive_MoreMessagesThanTheDeviceMaySendReceiptsFor_StoresEveryMessageAndKeepsReceiving()
    {
        // Three hub sends per device per minute: each of Alice's devices sends two messages, and Bob's device may
        // send only three of its four receipts.
        await RestartServerAsync(new Dictionary<string, string?>(Scenario.GenerousLimits) { ["Messaging:RateLimits:SendsPerMinute"] = "3" });
        var (alice, bob, conversation) = await scenario.PairAsync();
        var alicePhone = await DeviceAsync(alice);
        var aliceLaptop = await DeviceAsync(alice);
        var bobDevice = await DeviceAsync(bob);
        foreach (var (device, text) in new[] { (alicePhone, "one"), (alicePhone, "two"), (aliceLaptop, "three"), (aliceLaptop, "four") })
        {
            await device.Messenger.SendTextAsync(conversation, text);
        }

        var received = await bobDevice.Messenger.ReceiveTextsAsync(4);

        Assert.Equal(["four", "one", "three", "two"], received.Select(h => h.Text).Order(StringComparer.Ordinal));
        Assert.Equal(4, bobDevice.Messenger.History.Count);
    }

    /// <summary>Replaces this test's server with one started with <paramref name="settings"/>, before any device exists.</summary>
    private async Task RestartServerAsync(Dictionary<string, string?> settings)
    {
        await scenario.DisposeAsync();
        await server.DisposeAsync();
        server = await TestServer.StartAsync(settings);
        scenario = await Scenario.StartAsync(server);
    }
}
