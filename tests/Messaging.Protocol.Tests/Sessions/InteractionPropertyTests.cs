using CsCheck;

namespace Messaging.Protocol.Tests.Sessions;

/// <summary>
/// Interaction fuzzing (after libsignal's fuzz targets): random interleavings of sends in both directions, drops,
/// duplicates, deliveries in any order (within the skip bound), restarts from the serialized state and new sessions.
/// Every plaintext must come out exactly once, unaltered, or not at all if dropped; a duplicate is always refused.
/// </summary>
public sealed class InteractionPropertyTests
{
    private const long Iterations = 100;

    /// <summary>An operation: a code in [0, 100) picks what happens (see <see cref="World.Apply"/>), the argument which envelope.</summary>
    private static readonly Gen<(int Code, int Argument)[]> Operations = Gen.Select(Gen.Int[0, 99], Gen.Int[0, 1000]).Array[1, 40];

    [Fact]
    public void Interleavings_SendDropDuplicateReorderRestart_DeliverEachPlaintextExactlyOnce() =>
        Operations.Sample(ops => Run(ops, newSessions: false), iter: Iterations);

    [Fact]
    public void Interleavings_WithNewSessionsFromPrekeyMessages_DeliverEachPlaintextExactlyOnce() =>
        Operations.Sample(ops => Run(ops, newSessions: true), iter: Iterations);

    private static void Run((int Code, int Argument)[] operations, bool newSessions)
    {
        using var world = new World(newSessions);
        foreach (var (code, argument) in operations)
        {
            world.Apply(code, argument);
        }

        world.DeliverEverything();
    }

    private sealed class World : IDisposable
    {
        private const int MaxNewSessions = 3;

        private readonly TestDevice alice = TestDevice.Create("alice");
        private readonly TestDevice bob = TestDevice.Create("bob", oneTimePrekeys: 2);
        private readonly bool allowNewSessions;
        private readonly List<InFlight> pending = [];
        private readonly List<InFlight> delivered = [];
        private readonly HashSet<string> received = [];
        private int sent;
        private int dropped;
        private int newSessions;

        public World(bool allowNewSessions)
        {
            this.allowNewSessions = allowNewSessions;
            pending.Add(new InFlight(true, alice.StartWith(bob, Next("a")), "a0"));
        }

        public void Apply(int code, int argument)
        {
            switch (code)
            {
                case < 25:
                    Send(alice, bob);
                    break;
                case < 40:
                    if (bob.Device.HasSession(alice.Id))
                    {
                        Send(bob, alice);
                    }

                    break;
                case < 70:
                    if (pending.Count > 0)
                    {
                        Deliver(Take(argument));
                    }

                    break;
                case < 78:
                    if (pending.Count > 0)
                    {
                        Take(argument);
                        dropped++;
                    }

                    break;
                case < 88:
                    if (delivered.Count > 0)
                    {
                        var again = delivered[argument % delivered.Count];
                        var (from, to) = Ends(again);
                        Assert.Null(to.Receive(from, again.Envelope));
                    }

                    break;
                case < 96:
                    (argument % 2 == 0 ? alice : bob).Restart();
                    break;
                default:
                    if (allowNewSessions && newSessions < MaxNewSessions)
                    {
                        newSessions++;
                        var text = Next("a");
                        pending.Add(new InFlight(true, alice.StartWith(bob, text), text));
                    }

                    break;
            }
        }

        /// <summary>Delivers what is still in flight, alternating from both ends of the queue.</summary>
        public void DeliverEverything()
        {
            for (var i = 0; pending.Count > 0; i++)
            {
                Deliver(Take(i % 2 == 0 ? 0 : pending.Count - 1));
            }

            Assert.Equal(sent - dropped, received.Count);
        }

        public void Dispose()
        {
            alice.Dispose();
            bob.Dispose();
        }

        private string Next(string prefix) => $"{prefix}{sent++}";

        private void Send(TestDevice from, TestDevice to)
        {
            var text = Next(from == alice ? "a" : "b");
            pending.Add(new InFlight(from == alice, from.Send(to, text), text));
        }

        private InFlight Take(int argument)
        {
            var message = pending[argument % pending.Count];
            pending.Remove(message);
            return message;
        }

        private void Deliver(InFlight message)
        {
            var (from, to) = Ends(message);
            Assert.Equal(message.Text, to.Receive(from, message.Envelope, out var failure) ?? $"refused: {failure}");
            Assert.True(received.Add(message.Text), $"{message.Text} delivered twice");
            delivered.Add(message);
        }

        private (TestDevice From, TestDevice To) Ends(InFlight message) => message.ToBob ? (alice, bob) : (bob, alice);
    }

    private sealed record InFlight(bool ToBob, byte[] Envelope, string Text);
}
