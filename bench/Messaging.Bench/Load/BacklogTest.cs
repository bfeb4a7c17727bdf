using System.Diagnostics;
using Messaging.Bench.Targets;

namespace Messaging.Bench.Load;

/// <summary>What the deep-backlog test found (durable server only).</summary>
internal sealed record BacklogResult(
    long Waiting,
    double FillPerSecond,
    long DatabaseBytes,
    PhaseResult PeakBeside,
    long Drained,
    double DrainSeconds,
    double DrainCpuMicrosecondsPerCopy);

/// <summary>
/// Delivery cost as queues grow: copies pile up for devices that stay offline (as for patients who open their messages
/// days later), the closed-loop peak of the live devices is measured again beside them, then the offline devices
/// connect and drain everything, and the drain is timed.
/// </summary>
internal static class BacklogTest
{
    /// <summary>Offline recipients the backlog is spread over (each with its own connected sender).</summary>
    private const int ParkedPairs = 10;

    /// <summary>Sends in flight per parked sender while filling.</summary>
    private const int FillParallelism = 8;

    public static async Task<BacklogResult> RunAsync(DurableTarget durable, BenchSettings settings, Payloads payloads)
    {
        var parked = await durable.ParkAsync(ParkedPairs);
        var perPair = settings.Backlog / ParkedPairs;
        var filling = Stopwatch.StartNew();
        await Task.WhenAll(parked.SelectMany((pair, p) => Enumerable.Range(0, FillParallelism).Select(lane => Task.Run(async () =>
        {
            var draws = new SizeDraws((uint)(p * FillParallelism + lane + 1));
            for (var i = lane; i < perPair; i += FillParallelism)
            {
                await durable.SendAsync(pair.Sender, payloads.Create(draws.Next(), Stopwatch.GetTimestamp()));
            }
        }))));
        var waiting = (long)perPair * ParkedPairs;
        var fillPerSecond = waiting / filling.Elapsed.TotalSeconds;
        var databaseBytes = durable.DatabaseBytes;
        Progress($"backlog: {waiting:N0} copies waiting ({fillPerSecond:N0}/s to store), database {databaseBytes / (1024 * 1024):N0} MiB; peak beside them");

        var peak = await LoadRunner.ClosedLoopAsync(durable, settings, payloads);
        Progress($"backlog: peak {peak.DeliveredPerSecond:N0} deliveries/s beside the backlog; draining it");

        var cpuBefore = durable.Process.CpuTime;
        var draining = Stopwatch.StartNew();
        var drained = await durable.DrainParkedAsync(parked);
        var drainSeconds = draining.Elapsed.TotalSeconds;
        var drainCpu = (durable.Process.CpuTime - cpuBefore).TotalMicroseconds / Math.Max(1, drained);
        Progress($"backlog: drained {drained:N0} copies in {drainSeconds:N1} s");
        return new BacklogResult(waiting, fillPerSecond, databaseBytes, peak, drained, drainSeconds, drainCpu);
    }

    private static void Progress(string line) => ProgressLog.Write(line);
}
