using System.Runtime.InteropServices;
using Messaging.Bench.Load;
using Messaging.Bench.Report;
using Messaging.Bench.Targets;

namespace Messaging.Bench;

/// <summary>
/// One run: the peaks of the durable server and the bare relay, window by window in turns, then half of each one's peak,
/// then the durable server's peak again beside a deep backlog that is then drained, then the idle connection test; the
/// tables go to standard output, progress to standard error, the chart to an SVG file.
/// </summary>
internal static class BenchRun
{
    public static async Task<int> RunAsync(BenchSettings settings)
    {
        var payloads = new Payloads(settings.MinSize, settings.MaxSize);
        Progress($"machine: {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024 * 1024.0):N1} GiB, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}");

        await using var durable = new DurableTarget();
        var backplane = settings.Backplane ? ", with the Redis backplane" : "";
        Progress($"durable server: starting{backplane}, {settings.Devices} devices (accounts, conversations, devices and tokens over HTTP)");
        await durable.StartAsync(settings.Devices, settings.Backplane);
        TargetResult server;
        TargetResult relayResult;
        PeakPair peaks;
        await using (var relay = new RelayTarget())
        {
            Progress($"bare relay: starting, {settings.Devices} devices");
            await relay.StartAsync(settings.Devices);
            peaks = await PairedPeaks.MeasureAsync(durable, relay, settings, payloads);
            server = await HalfPeakAsync(durable, peaks.Server, settings, payloads);
            relayResult = await HalfPeakAsync(relay, peaks.Relay, settings, payloads);
        }

        var backlog = settings.Backlog > 0 ? await BacklogTest.RunAsync(durable, settings, payloads) : null;
        await durable.StopServerAsync();

        ConnectionResult? connections = null;
        if (settings.Connections > 0)
        {
            Progress($"connections: registering {settings.Connections:N0} devices, then holding one idle connection each for {settings.IdleHold.TotalSeconds:N0} s");
            connections = await ConnectionTest.RunAsync(durable.Data, durable.People, settings);
        }

        var tables = ResultTables.Render(settings, server, relayResult, peaks, backlog, connections);
        Console.WriteLine(tables);
        LatencyChart.Write(
            settings.ChartPath,
            "Send-to-receive latency: durable server vs bare SignalR relay",
            [server.Peak, server.HalfPeak, relayResult.Peak, relayResult.HalfPeak],
            ResultTables.TargetP99Milliseconds);
        Progress($"chart: {settings.ChartPath}");
        if (settings.MarkdownPath is { } markdown)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(markdown)!);
            await File.WriteAllTextAsync(markdown, tables);
            Progress($"tables: {markdown}");
        }

        return 0;
    }

    private static async Task<TargetResult> HalfPeakAsync(BenchTarget target, PhaseResult peak, BenchSettings settings, Payloads payloads)
    {
        Progress($"{target.Name}: peak {peak.DeliveredPerSecond:N0} deliveries/s (median window); half of it, open loop");
        var half = await LoadRunner.OpenLoopAsync(target, settings, payloads, Math.Max(1, peak.DeliveredPerSecond / 2));
        Progress($"{target.Name}: half peak {half.DeliveredPerSecond:N0} deliveries/s, p99 {half.Latency.P99:N1} ms");
        return new TargetResult(peak, half, target.Process.PeakWorkingSet);
    }

    private static void Progress(string line) => ProgressLog.Write(line);
}
