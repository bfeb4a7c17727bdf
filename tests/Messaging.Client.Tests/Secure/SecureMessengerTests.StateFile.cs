using Messaging.Client.Secure;
using Messaging.Testing;

namespace Messaging.Client.Tests.Secure;

/// <summary>The device's state on disk: one file, replaced whole, and the two files of earlier SDK versions.</summary>
public sealed partial class SecureMessengerTests
{
    [Fact]
    public async Task Save_AfterSendingAndReceiving_KeepsTheWholeStateInOneFile()
    {
        var (_, _, aliceDevice, bobDevice) = await OneMessageExchangedAsync();

        // The ratchet state, the history and the refresh token are saved together or not at all.
        Assert.Equal(["device.sealed"], FileNames(aliceDevice));
        Assert.Equal(["device.sealed"], FileNames(bobDevice));
    }

    [Fact]
    public async Task Open_ADeviceSavedInTwoFilesByAnEarlierVersion_ContinuesAndMovesToOneFile()
    {
        var (bob, conversation, aliceDevice, bobDevice) = await OneMessageExchangedAsync();
        await bobDevice.Messenger.DisposeAsync();
        SplitIntoTheEarlierTwoFiles(bobDevice);
        Assert.Equal(["client.sealed", "protocol.sealed"], FileNames(bobDevice));

        await aliceDevice.Messenger.SendTextAsync(conversation, "two");
        var bobAgain = await OpenAsync(bob, bobDevice);

        Assert.Equal("two", (await bobAgain.ReceiveTextsAsync(1)).Single().Text);
        Assert.Equal(["one", "two"], bobAgain.History.Select(h => h.Text));
        Assert.Equal(["device.sealed"], FileNames(bobDevice));
    }

    /// <summary>Alice's device has sent "one" and Bob's has received it: both have saved sessions and history.</summary>
    private async Task<(TestPerson Bob, Guid Conversation, TestDevice Alice, TestDevice BobDevice)> OneMessageExchangedAsync()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await DeviceAsync(alice);
        var bobDevice = await DeviceAsync(bob);
        await aliceDevice.Messenger.SendTextAsync(conversation, "one");
        await bobDevice.Messenger.ReceiveTextsAsync(1);
        return (bob, conversation, aliceDevice, bobDevice);
    }

    private static string[] FileNames(TestDevice device) =>
        [.. Directory.GetFiles(device.Folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal).Cast<string>()];

    /// <summary>Writes the device's state as SDK versions before the single file did: protocol and client apart.</summary>
    private static void SplitIntoTheEarlierTwoFiles(TestDevice device)
    {
        var storage = new FileStateStorage(device.Folder.Path);
        Assert.True(DeviceStateFile.TrySplit(storage.Read(DeviceStateFile.Name)!, out var protocol, out var client));
        storage.Write("protocol", protocol);
        storage.Write("client", client);
        storage.Delete(DeviceStateFile.Name);
    }
}
