using Messaging.Server.Features.Delivery;
using Messaging.Server.Hosting;
using Messaging.Testing;

namespace Messaging.Server.Tests.Features.Delivery;

/// <summary>Copies that nobody acknowledges expire after the configured retention.</summary>
public sealed class RetentionTests : IAsyncLifetime
{
    private readonly TestCiphertext cipher = new();
    private readonly ManualTimeProvider clock = new();
    private TestServer server = null!;
    private Scenario scenario = null!;

    public async ValueTask InitializeAsync()
    {
        server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Messaging:Delivery:Retention"] = "01:00:00" }, clock);
        scenario = await Scenario.StartAsync(server);
    }

    public async ValueTask DisposeAsync()
    {
        await scenario.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Retention_Elapsed_ExpiredCopiesAreNeitherDeliveredNorKept_NewerOnesAre()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await scenario.DeviceAsync(alice);
        var bobDevice = await scenario.DeviceAsync(bob, connect: false);
        await aliceDevice.SendTextAsync(conversation, cipher, "old 1");
        await aliceDevice.SendTextAsync(conversation, cipher, "old 2");
        clock.Advance(TimeSpan.FromMinutes(59));
        await aliceDevice.SendTextAsync(conversation, cipher, "recent");

        clock.Advance(TimeSpan.FromMinutes(2));
        var purged = await server.Get<IEnumerable<IRecordSweep>>().OfType<ExpiredCopySweep>().Single().SweepAsync(clock.GetUtcNow(), CancellationToken.None);
        await bobDevice.ConnectAsync(Scenario.Timeout());
        var received = await bobDevice.ReceiveAsync(1);
        await bobDevice.WaitForDrainAsync(Scenario.Timeout());

        Assert.Equal(2, purged);
        Assert.Equal("recent", cipher.Open(received.Single().Ciphertext));
        var everything = await server.Get<IMessageStore>()
            .ReadQueueAsync(bobDevice.DeviceId, null, 100, DateTimeOffset.MinValue, CancellationToken.None);
        Assert.DoesNotContain(everything, c => c.Sequence < 3);
    }

    [Fact]
    public async Task Retention_ReadBeforeTheSweep_SkipsExpiredCopies()
    {
        var (alice, bob, conversation) = await scenario.PairAsync();
        var aliceDevice = await scenario.DeviceAsync(alice);
        var bobDevice = await scenario.RegisterDeviceAsync(bob);
        await aliceDevice.SendTextAsync(conversation, cipher, "expires");

        clock.Advance(TimeSpan.FromHours(2));

        var store = server.Get<IMessageStore>();
        Assert.Empty(await store.ReadQueueAsync(bobDevice.DeviceId, null, 100, clock.GetUtcNow(), CancellationToken.None));
        Assert.Single(await store.ReadQueueAsync(bobDevice.DeviceId, null, 100, DateTimeOffset.MinValue, CancellationToken.None));
    }
}
