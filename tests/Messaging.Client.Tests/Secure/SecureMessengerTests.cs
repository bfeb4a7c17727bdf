using System.Text;
using Messaging.Client.Secure;
using Messaging.Protocol.Storage;
using Messaging.Testing;

namespace Messaging.Client.Tests.Secure;

/// <summary>The SDK's end-to-end encryption through a real server (Kestrel on loopback, a real SQLite file).</summary>
public sealed partial class SecureMessengerTests : IAsyncLifetime
{
    private const string Marker = "SECRET-MARKER-5d1e rendez-vous cardiologie mardi 14h";
    private readonly List<IAsyncDisposable> disposables = [];
    private readonly List<TempDirectory> folders = [];
    private TestServer server = null!;
    private Scenario scenario = null!;

    public async ValueTask InitializeAsync()
    {
        server = await TestServer.StartAsync();
        scenario = await Scenario.StartAsync(server);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var disposable in Enumerable.Reverse(disposables))
        {
            await disposable.DisposeAsync();
        }

        await scenario.DisposeAsync();
        await server.DisposeAsync();
        folders.ForEach(f => f.Dispose());
    }

    [Fact]
    public async Task SendText_BetweenTwoPeople_IsDecryptedStoredReceiptedAndNeverInClearOnTheServer()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await DeviceAsync(alice);
        var bobDevice = await DeviceAsync(bob);
        var receipts = new List<DeliveryReceipt>();
        aliceDevice.Messenger.Delivered += (_, r) => { lock (receipts) { receipts.Add(r); } };
        var aliceInbox = ReceiveInBackground(aliceDevice.Messenger);

        var sent = await aliceDevice.Messenger.SendTextAsync(conversation, Marker);
        var received = (await bobDevice.Messenger.ReceiveTextsAsync(1)).Single();
        await bobDevice.Messenger.SendTextAsync(conversation, "Merci, à mardi.");

        Assert.Equal(Marker, received.Text);
        Assert.Equal(sent, received.MessageId);
        Assert.Equal(aliceDevice.Messenger.DeviceId, received.SenderDeviceId);
        await Eventually.WaitAsync(() => { lock (receipts) { return receipts.Any(r => r.MessageId == sent); } }, "Bob's decrypted receipt");
        await Eventually.WaitAsync(() => aliceDevice.Messenger.History.Any(h => h.Text == "Merci, à mardi."), "Bob's reply at Alice");
        Assert.Contains(bobDevice.Messenger.History, h => h.Text == Marker && !h.Outgoing);
        Assert.Contains(aliceDevice.Messenger.History, h => h.Text == Marker && h.Outgoing && h.Sequence == 1);

        await server.StopAsync();
        foreach (var (file, bytes) in server.Data.ReadAllFiles().Concat(folders.SelectMany(f => f.ReadAllFiles())))
        {
            Assert.False(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes("SECRET-MARKER")) >= 0, $"{file} holds plaintext");
        }

        Assert.DoesNotContain("SECRET-MARKER", server.Logs.AllText, StringComparison.Ordinal);
        aliceInbox.Dispose();
    }

    [Fact]
    public async Task SendText_RecipientAddsASecondDeviceAfterTheSession_BothDevicesGetLaterMessages()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await DeviceAsync(alice);
        var bobPhone = await DeviceAsync(bob);
        await aliceDevice.Messenger.SendTextAsync(conversation, "first");
        Assert.Equal("first", (await bobPhone.Messenger.ReceiveTextsAsync(1)).Single().Text);

        var bobLaptop = await DeviceAsync(bob);
        await aliceDevice.Messenger.SendTextAsync(conversation, "second");

        Assert.Equal("second", (await bobPhone.Messenger.ReceiveTextsAsync(1)).Single().Text);
        Assert.Equal("second", (await bobLaptop.Messenger.ReceiveTextsAsync(1)).Single().Text);
    }

    [Fact]
    public async Task SendText_DeviceListChangesBetweenFetchAndSend_IsResolvedAndRetriedWithoutUserAction()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var bobPhone = await DeviceAsync(bob);
        TestDevice? bobTablet = null;
        // Right after Alice's first look at the device list, Bob adds a device: her list is stale when she sends.
        var handler = new AfterFirstDeviceListing(async () => bobTablet = await DeviceAsync(bob));
        var aliceFolder = new TempDirectory();
        folders.Add(aliceFolder);
        using var aliceKey = StorageKey.Generate();
        var aliceDevice = await SecureMessenger.RegisterDeviceAsync(scenario.OptionsFor(alice, aliceFolder, aliceKey, handler: handler));
        disposables.Add(aliceDevice);
        await aliceDevice.ConnectAsync(Scenario.Timeout());

        await aliceDevice.SendTextAsync(conversation, "to all of Bob's devices");

        Assert.Equal(2, handler.Listings); // the stale list, then the current one after devices-changed
        Assert.Equal("to all of Bob's devices", (await bobPhone.Messenger.ReceiveTextsAsync(1)).Single().Text);
        Assert.Equal("to all of Bob's devices", (await bobTablet!.Messenger.ReceiveTextsAsync(1)).Single().Text);
    }

    [Fact]
    public async Task SendText_SendersOtherDevice_GetsItsOwnCopy()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var alicePhone = await DeviceAsync(alice);
        var aliceLaptop = await DeviceAsync(alice);
        await DeviceAsync(bob);

        await alicePhone.Messenger.SendTextAsync(conversation, "sync me");

        var copy = (await aliceLaptop.Messenger.ReceiveTextsAsync(1)).Single();
        Assert.Equal("sync me", copy.Text);
        Assert.Equal(alicePhone.Messenger.DeviceId, copy.SenderDeviceId);
    }

    [Fact]
    public async Task Receive_RecipientLostItsSession_NoticeAndResendRepairItAutomatically()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await DeviceAsync(alice);
        var bobDevice = await DeviceAsync(bob);
        var stateBeforeTheSession = SnapshotFiles(bobDevice.Folder);
        var aliceInbox = ReceiveInBackground(aliceDevice.Messenger);
        await aliceDevice.Messenger.SendTextAsync(conversation, "before the loss");
        Assert.Equal("before the loss", (await bobDevice.Messenger.ReceiveTextsAsync(1)).Single().Text);
        // Alice's session is confirmed by Bob's receipt: from now on she sends ordinary (not prekey) messages.
        await Eventually.WaitAsync(() => aliceDevice.Messenger.History.Count(h => h.Outgoing) == 1 && ReceiptSeen(aliceDevice), "the receipt");
        // Only Bob's device state is lost, not his acknowledgement: otherwise the first message comes back to a device
        // that no longer remembers it (seen under load).
        await Eventually.WaitAsync(async () => await server.QueuedCopiesAsync(bobDevice.Messenger.DeviceId) == 0, "Bob's acknowledgement");

        await bobDevice.Messenger.DisposeAsync();
        RestoreFiles(bobDevice.Folder, stateBeforeTheSession);
        var bobAgain = await OpenAsync(bob, bobDevice);
        await aliceDevice.Messenger.SendTextAsync(conversation, "after the loss");

        var repaired = (await bobAgain.ReceiveTextsAsync(1)).Single();
        Assert.Equal("after the loss", repaired.Text);
        await aliceDevice.Messenger.SendTextAsync(conversation, "and then");
        Assert.Equal("and then", (await bobAgain.ReceiveTextsAsync(1)).Single().Text);
        aliceInbox.Dispose();
    }

    [Fact]
    public async Task Receive_TheSameDeliveryAgainAfterReconnections_IsAcknowledgedWithoutARepair()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await DeviceAsync(alice);
        var bobDevice = await DeviceAsync(bob);
        var aliceInbox = ReceiveInBackground(aliceDevice.Messenger);
        var alicePrekeys = await OneTimePrekeysAsync(aliceDevice);

        // Bob does not read yet, so the copy stays queued and each reconnection's drain puts it on his stream again,
        // as when a connection drops while a device works through its backlog.
        await aliceDevice.Messenger.SendTextAsync(conversation, "once");
        for (var restart = 0; restart < 2; restart++)
        {
            var drains = bobDevice.Messenger.Transport.DrainCount;
            await server.RestartAsync();
            await Eventually.WaitAsync(() => bobDevice.Messenger.Transport.DrainCount > drains, "Bob's drain after the restart");
        }

        await aliceDevice.Messenger.SendTextAsync(conversation, "then");

        Assert.Equal(["once", "then"], (await bobDevice.Messenger.ReceiveTextsAsync(2)).Select(m => m.Text));
        // A copy taken for a broken session would have made Bob start a new one: fetch Alice's bundle (a one-time
        // prekey fewer) and tell her he could not decrypt.
        Assert.Equal(alicePrekeys, await OneTimePrekeysAsync(aliceDevice));
        aliceInbox.Dispose();
    }

    [Fact]
    public async Task Open_ADeliveryDecryptedBeforeTheServerWasRestoredFromABackup_IsAcknowledgedWithoutARepair()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await DeviceAsync(alice);
        var bobDevice = await DeviceAsync(bob);
        var alicePrekeys = await OneTimePrekeysAsync(aliceDevice);
        await aliceDevice.Messenger.SendTextAsync(conversation, "once");
        await server.StopAsync();
        var backup = server.Data.ReadAllFiles().Where(f => Path.GetFileName(f.File).StartsWith("messaging.db", StringComparison.Ordinal)).ToList();
        await server.StartAsync();
        Assert.Equal("once", (await bobDevice.Messenger.ReceiveTextsAsync(1)).Single().Text);
        await bobDevice.Messenger.DisposeAsync();

        // The backup still holds the copy Bob decrypted and acknowledged since: his device, opened again from its
        // sealed state, gets it once more.
        await server.StopAsync();
        foreach (var (file, _) in server.Data.ReadAllFiles().Where(f => Path.GetFileName(f.File).StartsWith("messaging.db", StringComparison.Ordinal)))
        {
            File.Delete(file);
        }

        backup.ForEach(f => File.WriteAllBytes(f.File, f.Bytes));
        await server.StartAsync();
        var bobAgain = await OpenAsync(bob, bobDevice);
        await bobAgain.Transport.WaitForDrainAsync(Scenario.Timeout());
        await aliceDevice.Messenger.SendTextAsync(conversation, "then");

        Assert.Equal("then", (await bobAgain.ReceiveTextsAsync(1)).Single().Text);
        Assert.Equal(alicePrekeys, await OneTimePrekeysAsync(aliceDevice));
        Assert.Equal(["once", "then"], bobAgain.History.Select(h => h.Text));
    }

    [Fact]
    public async Task Open_AfterRestart_ContinuesTheSessionFromSealedState()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await DeviceAsync(alice);
        var bobDevice = await DeviceAsync(bob);
        await aliceDevice.Messenger.SendTextAsync(conversation, "one");
        Assert.Equal("one", (await bobDevice.Messenger.ReceiveTextsAsync(1)).Single().Text);
        await bobDevice.Messenger.DisposeAsync();

        await aliceDevice.Messenger.SendTextAsync(conversation, "two");
        var bobAgain = await OpenAsync(bob, bobDevice);

        Assert.Equal("two", (await bobAgain.ReceiveTextsAsync(1)).Single().Text);
        Assert.Equal(["one", "two"], bobAgain.History.Select(h => h.Text));
    }

    [Fact]
    public async Task Open_WithTheWrongStorageKey_IsRefused()
    {
        var (alice, _, _) = await scenario.PairAsync();
        var device = await DeviceAsync(alice);
        using var wrongKey = StorageKey.Generate();

        var error = Assert.Throws<MessagingException>(() => SecureMessenger.Open(scenario.OptionsFor(alice, device.Folder, wrongKey)));

        Assert.Equal(ClientErrorCodes.LocalStateUnreadable, error.Code);
    }

    [Fact]
    public async Task Prekeys_RunningLow_AreToppedUpByTheDevice()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var bobDevice = await DeviceAsync(bob, prekeyBatch: 12);
        var token = await bobDevice.Messenger.Transport.GetAccessTokenAsync();
        Assert.Equal(12, (await scenario.Api.GetPrekeyStatusAsync(token, bobDevice.Messenger.DeviceId)).OneTimePrekeys);

        for (var i = 0; i < 3; i++)
        {
            var aliceDevice = await DeviceAsync(alice);
            await aliceDevice.Messenger.SendTextAsync(conversation, $"from device {i}");
        }

        await Eventually.WaitAsync(
            async () => (await scenario.Api.GetPrekeyStatusAsync(token, bobDevice.Messenger.DeviceId)).OneTimePrekeys > 12,
            "the device to upload more prekeys");
        Assert.Equal(3, (await bobDevice.Messenger.ReceiveTextsAsync(3)).Count);
    }

    private static bool ReceiptSeen(TestDevice device) => device.Receipts > 0;

    /// <summary>The device's one-time prekeys left on the server: a session repair started with it spends one.</summary>
    private async Task<int> OneTimePrekeysAsync(TestDevice device) =>
        (await scenario.Api.GetPrekeyStatusAsync(await device.Messenger.Transport.GetAccessTokenAsync(), device.Messenger.DeviceId)).OneTimePrekeys;

    private async Task<TestDevice> DeviceAsync(TestPerson person, int prekeyBatch = 20)
    {
        var folder = new TempDirectory();
        folders.Add(folder);
        var key = StorageKey.Generate(allowExport: true);
        var messenger = await SecureMessenger.RegisterDeviceAsync(scenario.OptionsFor(person, folder, key, prekeyBatch));
        disposables.Add(messenger);
        await messenger.ConnectAsync(Scenario.Timeout());
        var device = new TestDevice(messenger, folder, key);
        messenger.Delivered += (_, _) => Interlocked.Increment(ref device.Receipts);
        return device;
    }

    private async Task<SecureMessenger> OpenAsync(TestPerson person, TestDevice device)
    {
        var messenger = SecureMessenger.Open(scenario.OptionsFor(person, device.Folder, device.Key));
        disposables.Add(messenger);
        await messenger.ConnectAsync(Scenario.Timeout());
        return messenger;
    }

    /// <summary>Keeps a device's inbox flowing (receipts, notices) while the test drives another device.</summary>
    private static CancellationTokenSource ReceiveInBackground(SecureMessenger messenger)
    {
        var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var _ in messenger.ReceiveAsync(stop.Token))
                {
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        return stop;
    }

    private static Dictionary<string, byte[]> SnapshotFiles(TempDirectory folder) =>
        Directory.GetFiles(folder.Path).ToDictionary(f => f, File.ReadAllBytes);

    private static void RestoreFiles(TempDirectory folder, Dictionary<string, byte[]> snapshot)
    {
        foreach (var file in Directory.GetFiles(folder.Path))
        {
            File.Delete(file);
        }

        foreach (var (file, bytes) in snapshot)
        {
            File.WriteAllBytes(file, bytes);
        }
    }

    /// <summary>Runs an action once, after the first device listing of a conversation has been answered.</summary>
    private sealed class AfterFirstDeviceListing(Func<Task> action) : DelegatingHandler(new SocketsHttpHandler())
    {
        public int Listings;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.RequestUri!.AbsolutePath.EndsWith("/devices", StringComparison.Ordinal)
                && request.RequestUri.AbsolutePath.StartsWith("/api/conversations/", StringComparison.Ordinal)
                && Interlocked.Increment(ref Listings) == 1)
            {
                await action();
            }

            return response;
        }
    }

    private sealed class TestDevice(SecureMessenger messenger, TempDirectory folder, StorageKey key)
    {
        public int Receipts;

        public SecureMessenger Messenger { get; } = messenger;

        public TempDirectory Folder { get; } = folder;

        public StorageKey Key { get; } = key;
    }
}
