using System.Collections.Concurrent;
using Messaging.Client;
using Messaging.Testing;
using Microsoft.Data.Sqlite;

namespace Messaging.Server.Tests.Features.Delivery;

/// <summary>
/// The server runs as its own process and is killed with SIGKILL in the middle of a burst of sends. After a
/// restart, every message it acknowledged is delivered exactly once; senders that retry the unacknowledged ones
/// with the same ids get every message through exactly once.
/// </summary>
public sealed class CrashRecoveryTests
{
    private const int Senders = 4;
    private const int MessagesPerSender = 60;
    private const int KillAfterAcks = 80;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Kill9_DuringBurst_EveryAcknowledgedMessageIsDeliveredExactlyOnce(int round)
    {
        var cipher = new TestCiphertext();
        using var data = new TempDirectory();
        await using var server = new ServerProcess(data);
        await server.StartAsync();
        await using var scenario = await Scenario.StartAsync(server);
        var bob = await scenario.MemberAsync();
        var bobDevice = await scenario.RegisterDeviceAsync(bob);
        var senders = new List<(MessagingClient Client, Guid Conversation)>();
        for (var s = 0; s < Senders; s++)
        {
            var sender = await scenario.MemberAsync();
            senders.Add((await scenario.DeviceAsync(sender), await scenario.ConversationAsync(sender, bob)));
        }

        // Every sender sends its messages one after another; message ids are fixed up front so a retry reuses them.
        var planned = senders.SelectMany((s, i) => Enumerable.Range(0, MessagesPerSender)
            .Select(n => (Sender: i, Id: MessagingClient.NewMessageId(), Text: $"round {round} sender {i} message {n}"))).ToList();
        var acknowledged = new ConcurrentDictionary<Guid, long>();
        var acks = 0;
        using var enoughAcks = new SemaphoreSlim(0);
        using var stop = new CancellationTokenSource();
        var burst = senders.Select((s, i) => Task.Run(async () =>
        {
            foreach (var message in planned.Where(p => p.Sender == i))
            {
                try
                {
                    var ack = await s.Client.SendToConversationAsync(s.Conversation, _ => cipher.Seal(message.Text), message.Id, stop.Token);
                    acknowledged[message.Id] = ack.Sequence;

                    // One counter step per ack: two senders adding at once could both read the dictionary's count past
                    // the kill point, and nobody would signal it.
                    if (Interlocked.Increment(ref acks) == KillAfterAcks)
                    {
                        enoughAcks.Release();
                    }
                }
                catch (Exception e) when (e is MessagingException or OperationCanceledException or HttpRequestException)
                {
                    return; // the server died under this send: it was not acknowledged
                }
            }
        })).ToList();

        Assert.True(await enoughAcks.WaitAsync(TimeSpan.FromSeconds(120)), "the burst did not reach the kill point");
        await server.KillAsync();
        await stop.CancelAsync();
        await Task.WhenAll(burst);
        var ackedBeforeCrash = acknowledged.ToDictionary();
        Assert.True(ackedBeforeCrash.Count >= KillAfterAcks);

        await server.StartAsync();
        AssertNoDuplicateCopies(data);

        // Senders retry what was not acknowledged, with the same ids: the server stores each at most once.
        foreach (var message in planned.Where(p => !ackedBeforeCrash.ContainsKey(p.Id)))
        {
            var (client, conversation) = senders[message.Sender];
            var ack = await client.SendToConversationAsync(conversation, _ => cipher.Seal(message.Text), message.Id, Scenario.Timeout(60));
            acknowledged[message.Id] = ack.Sequence;
        }

        await using var receiver = scenario.ClientFor(bob, bobDevice.DeviceId);
        await receiver.ConnectAsync(Scenario.Timeout());
        var received = await receiver.ReceiveAsync(planned.Count, timeoutSeconds: 120);

        Assert.Equal(planned.Count, received.Count);
        Assert.Equal(received.Count, received.Select(d => d.MessageId).Distinct().Count());
        Assert.Equal(planned.Select(p => p.Id).Order(), received.Select(d => d.MessageId).Order());
        foreach (var (id, sequence) in ackedBeforeCrash)
        {
            var delivery = received.Single(d => d.MessageId == id);
            Assert.Equal(sequence, delivery.Sequence);
            Assert.Equal(planned.Single(p => p.Id == id).Text, cipher.Open(delivery.Ciphertext));
        }

        // The process's own log output (JSON on standard output) holds neither the password nor any login.
        Assert.DoesNotContain(Scenario.Password, server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("@example.test", server.Output, StringComparison.Ordinal);
        Assert.Contains("\"Category\"", server.Output, StringComparison.Ordinal);

        // Within each conversation, delivery follows the sequence numbers without gaps or repeats.
        foreach (var conversation in received.GroupBy(d => d.ConversationId))
        {
            Assert.Equal(Enumerable.Range(1, MessagesPerSender).Select(i => (long)i), conversation.Select(d => d.Sequence));
        }
    }

    private static void AssertNoDuplicateCopies(TempDirectory data)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(data.Path, "messaging.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM (SELECT 1 FROM queue GROUP BY device_id, conversation_id, message_id HAVING count(*) > 1);";
        Assert.Equal(0L, (long)command.ExecuteScalar()!);
    }
}
