using Messaging.Testing;

namespace Messaging.Client.Tests.Secure;

public sealed partial class SecureMessengerTests
{
    [Fact]
    public async Task Receive_ABacklog_IsAcknowledgedInOneHubMessageAndLeavesTheQueueEmpty()
    {
        const int backlog = 30;
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await DeviceAsync(alice);
        var bobDevice = await DeviceAsync(bob);
        await bobDevice.Messenger.DisposeAsync();
        for (var i = 0; i < backlog; i++)
        {
            await aliceDevice.Messenger.SendTextAsync(conversation, $"message {i}");
        }

        // Bob comes back: the drain puts the whole backlog on his stream before he reads any of it.
        var bobAgain = await OpenAsync(bob, bobDevice);
        await bobAgain.Transport.WaitForDrainAsync(Scenario.Timeout());
        var acknowledgementsBefore = QuietAcknowledgementsReceived();
        var received = await bobAgain.ReceiveTextsAsync(backlog);

        Assert.Equal(Enumerable.Range(0, backlog).Select(i => $"message {i}"), received.Select(m => m.Text));
        await Eventually.WaitAsync(async () => await server.QueuedCopiesAsync(bobAgain.DeviceId) == 0, "Bob's queue to be acknowledged");
        Assert.Equal(1, QuietAcknowledgementsReceived() - acknowledgementsBefore);
    }

    [Fact]
    public async Task Receive_StoppedBeforeTheBacklogIsRead_AcknowledgesWhatItProcessedAndLeavesTheRest()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await DeviceAsync(alice);
        var bobDevice = await DeviceAsync(bob);
        await bobDevice.Messenger.DisposeAsync();
        foreach (var text in new[] { "one", "two", "three" })
        {
            await aliceDevice.Messenger.SendTextAsync(conversation, text);
        }

        var bobAgain = await OpenAsync(bob, bobDevice);
        await bobAgain.Transport.WaitForDrainAsync(Scenario.Timeout());

        // Stopping after one message leaves its acknowledgement pending (two more were waiting): it is sent as the
        // enumeration ends, and the two unread copies stay queued.
        Assert.Equal("one", (await bobAgain.ReceiveTextsAsync(1)).Single().Text);
        await Eventually.WaitAsync(async () => await server.QueuedCopiesAsync(bobAgain.DeviceId) == 2, "the read copy to be acknowledged");
        Assert.Equal(["two", "three"], (await bobAgain.ReceiveTextsAsync(2)).Select(m => m.Text));
    }

    /// <summary>AcknowledgeQuietly messages the server's hub received so far, from SignalR's own debug log.</summary>
    private int QuietAcknowledgementsReceived() =>
        server.Logs.Lines.Count(line => line.Contains("Received hub invocation", StringComparison.Ordinal)
            && line.Contains("Target: \"AcknowledgeQuietly\"", StringComparison.Ordinal));
}
