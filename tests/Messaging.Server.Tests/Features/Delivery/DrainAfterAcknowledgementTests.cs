using Messaging.Client;
using Messaging.Contracts;
using Messaging.Server.Storage.Sqlite;
using Messaging.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Data.Sqlite;

namespace Messaging.Server.Tests.Features.Delivery;

/// <summary>
/// A drain sent on a connection right after an acknowledgement reads the queue only once that acknowledgement is
/// applied. SignalR starts a stream without waiting for the call before it, so without the hub's wait a drain read
/// copies whose deletes were still being committed, and sent them again.
/// </summary>
public sealed class DrainAfterAcknowledgementTests() : ServerTest(manualClock: false)
{
    /// <summary>
    /// How long the drain is given to answer too early while the acknowledgement cannot commit. Without the wait it
    /// answered within milliseconds; with it, the drain cannot answer before the lock is released.
    /// </summary>
    private static readonly TimeSpan TooEarly = TimeSpan.FromSeconds(1);

    private readonly TestCiphertext cipher = new();

    [Theory]
    [InlineData(HubMethods.AcknowledgeQuietly)]
    [InlineData(HubMethods.Acknowledge)]
    public async Task Drain_RightAfterAnAcknowledgementOnTheSameConnection_WaitsForItAndDoesNotSendTheCopyAgain(string method)
    {
        var (bobDevice, delivery) = await OneWaitingCopyAsync();
        await using var hub = await RawHub.ConnectAsync(Server.BaseAddress, await bobDevice.GetAccessTokenAsync());

        // Another connection holds SQLite's write lock: the acknowledgement's delete waits for it, readers do not.
        await using var writeLock = await HoldWriteLockAsync();
        // SendAsync returns once the frame is written; for the answered Acknowledge, this is a client that drains
        // without waiting for the answer.
        await hub.SendAsync(method, new AcknowledgeRequest { Deliveries = [delivery.ToRef()] });
        var drained = ReadAllAsync(hub.StreamAsync<Contracts.Delivery>(HubMethods.Drain));

        Assert.NotSame(drained, await Task.WhenAny(drained, Task.Delay(TooEarly)));
        await writeLock.DisposeAsync();

        Assert.Empty(await drained.WaitAsync(Scenario.Timeout()));
        Assert.Equal(0, await Server.QueuedCopiesAsync(bobDevice.DeviceId));
    }

    [Fact]
    public async Task Drain_WithNoAcknowledgementInFlight_ReadsAtOnce()
    {
        var (bobDevice, delivery) = await OneWaitingCopyAsync();
        await using var hub = await RawHub.ConnectAsync(Server.BaseAddress, await bobDevice.GetAccessTokenAsync());

        // The write lock holds writes only: a drain with nothing to wait for answers while it is held.
        await using var writeLock = await HoldWriteLockAsync();
        var drained = await ReadAllAsync(hub.StreamAsync<Contracts.Delivery>(HubMethods.Drain)).WaitAsync(Scenario.Timeout());

        Assert.Equal(delivery.MessageId, Assert.Single(drained).MessageId);
    }

    /// <summary>Bob's device with one copy waiting, received and not acknowledged.</summary>
    private async Task<(MessagingClient BobDevice, Contracts.Delivery Delivery)> OneWaitingCopyAsync()
    {
        var (alice, bob, conversation) = await Scenario.PairAsync();
        var aliceDevice = await Scenario.DeviceAsync(alice);
        var bobDevice = await Scenario.DeviceAsync(bob);
        await aliceDevice.SendTextAsync(conversation, cipher, "waiting");
        return (bobDevice, (await bobDevice.ReceiveAsync(1, acknowledge: false)).Single());
    }

    private static async Task<List<Contracts.Delivery>> ReadAllAsync(IAsyncEnumerable<Contracts.Delivery> stream)
    {
        var all = new List<Contracts.Delivery>();
        await foreach (var delivery in stream)
        {
            all.Add(delivery);
        }

        return all;
    }

    /// <summary>An immediate transaction on a connection of its own, rolled back (releasing the lock) when disposed.</summary>
    private async Task<SqliteConnection> HoldWriteLockAsync()
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(Server.Data.Path, SqliteStorage.FileName)};Pooling=False");
        await connection.OpenAsync();
        await using var begin = connection.CreateCommand();
        begin.CommandText = "BEGIN IMMEDIATE;";
        await begin.ExecuteNonQueryAsync();
        return connection;
    }
}
