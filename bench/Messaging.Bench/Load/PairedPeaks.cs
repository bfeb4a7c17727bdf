using Messaging.Bench.Targets;

namespace Messaging.Bench.Load;

/// <summary>The two peaks measured in turns, and the durable server's share of the relay's throughput in each pair.</summary>
internal sealed record PeakPair(PhaseResult Server, PhaseResult Relay, IReadOnlyList<double> Ratios)
{
    /// <summary>The median of the pairs' ratios: each pair saw the same machine, so this is the ratio the targets use.</summary>
    public double Ratio => Ratios.Order().ElementAt(Ratios.Count / 2);
}

/// <summary>
/// Measures the durable server's and the relay's peaks window by window, taking turns: server then relay, relay then
/// server, and so on. This machine's speed drifts by a quarter or more over an hour; measured one target after the
/// other, minutes apart, the ratio moved with that drift (46.3 % in one full run, then 36.6 % an hour later on a build
/// that was 28 % faster in alternating runs). Side by side, each pair of windows sees the same machine, and the
/// alternating order cancels a steady drift within the pairs.
/// </summary>
internal static class PairedPeaks
{
    public static async Task<PeakPair> MeasureAsync(BenchTarget server, BenchTarget relay, BenchSettings settings, Payloads payloads)
    {
        var windows = new Dictionary<BenchTarget, List<PhaseResult>> { [server] = [], [relay] = [] };
        for (var pair = 0; pair < settings.Windows; pair++)
        {
            // The first window of each target follows the full warm-up (the JIT's tiers); later ones only need the
            // load to settle again after the pause.
            var warmup = pair == 0 ? settings.Warmup : settings.Rewarm;
            foreach (var target in pair % 2 == 0 ? new[] { server, relay } : [relay, server])
            {
                ProgressLog.Write($"{target.Name}: peak window {pair + 1} of {settings.Windows}, closed loop, after {warmup.TotalSeconds:N0} s of warm-up");
                var window = (await LoadRunner.ClosedLoopWindowsAsync(target, warmup, settings.Duration, 1, payloads))[0];
                ProgressLog.Write($"{target.Name}: {window.DeliveredPerSecond:N0} deliveries/s, p99 {window.Latency.P99:N1} ms");
                windows[target].Add(window);
            }
        }

        var ratios = windows[server].Zip(windows[relay], (s, r) => s.DeliveredPerSecond / r.DeliveredPerSecond).ToList();
        return new PeakPair(LoadRunner.Median(windows[server]), LoadRunner.Median(windows[relay]), ratios);
    }
}
