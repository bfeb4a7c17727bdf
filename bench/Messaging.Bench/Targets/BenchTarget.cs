using Messaging.Bench.Load;

namespace Messaging.Bench.Targets;

/// <summary>What the load runs against: the real server or the bare relay, each in its own process.</summary>
internal abstract class BenchTarget : IAsyncDisposable
{
    public abstract string Name { get; }

    /// <summary>The target's process, for its CPU time and memory.</summary>
    public abstract ProcessMeter Process { get; }

    /// <summary>A process the target cannot work without whose CPU counts too (Redis, for the backplane), if any.</summary>
    public virtual ProcessMeter? Companion => null;

    public Recorder Recorder { get; } = new();

    public IReadOnlyList<BenchDevice> Devices { get; protected set; } = [];

    /// <summary>Sends one envelope from <paramref name="from"/> to its peer; completes when the target acknowledged it.</summary>
    public abstract Task SendAsync(BenchDevice from, byte[] payload);

    /// <summary>
    /// Waits until every acknowledged send has been delivered (or the bound passes), then until the target has nothing
    /// left to deliver (<see cref="NothingLeftAsync"/>); returns whether both came true.
    /// </summary>
    public async Task<bool> QuiesceAsync(TimeSpan bound)
    {
        using var deadline = new CancellationTokenSource(bound);
        while (Recorder.Delivered < Recorder.Sent)
        {
            if (deadline.IsCancellationRequested)
            {
                ProgressLog.Write($"{Name}: {Recorder.Delivered:N0} of {Recorder.Sent:N0} acknowledged sends delivered when the bound passed");
                ReportTrouble();
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), CancellationToken.None);
        }

        return await NothingLeftAsync(deadline.Token);
    }

    /// <summary>Once every send was delivered: whether the target still holds something to deliver.</summary>
    protected virtual Task<bool> NothingLeftAsync(CancellationToken cancellationToken) => Task.FromResult(true);

    /// <summary>When a phase ends with something undelivered: what the target itself said, for whoever reads the run.</summary>
    protected virtual void ReportTrouble()
    {
    }

    public abstract ValueTask DisposeAsync();

    protected async Task DisconnectAllAsync()
    {
        await Parallel.ForEachAsync(Devices, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (device, _) =>
            await device.Connection.DisposeAsync());
    }
}
