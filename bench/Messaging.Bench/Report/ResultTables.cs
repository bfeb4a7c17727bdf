using System.Globalization;
using System.Text;
using Messaging.Bench.Load;

namespace Messaging.Bench.Report;

/// <summary>The results of one target: its peak and its half-peak phase, and its process's peak memory.</summary>
internal sealed record TargetResult(PhaseResult Peak, PhaseResult HalfPeak, long PeakWorkingSetBytes);

/// <summary>The comparison as Markdown tables: printed by the benchmark and pasted into docs/benchmarks.md.</summary>
internal static class ResultTables
{
    /// <summary>The issue's targets on a 2-core machine.</summary>
    public const double TargetDeliveriesPerSecond = 10_000;
    public const double TargetRelayRatio = 0.60;
    public const double TargetP99Milliseconds = 50;
    public const double TargetBytesPerConnection = 30 * 1024;
    public const int TargetConnections = 10_000;

    /// <summary>
    /// The tables of one run; <c>peaks</c> holds the server's peak over the relay's, one per pair of windows taken in
    /// turns (<see cref="PairedPeaks"/>).
    /// </summary>
    public static string Render(
        BenchSettings settings, TargetResult server, TargetResult relay, PeakPair peaks, BacklogResult? backlog, ConnectionResult? connections)
    {
        var text = new StringBuilder();
        var (ratio, ratios) = (peaks.Ratio, peaks.Ratios);
        var windows = settings.Windows > 1
            ? Invariant($"; peak: the median of {settings.Windows} windows, range in brackets, the server's and the relay's taken in turns, and server / relay the median of the {settings.Windows} pairs")
            : "";
        var backplane = settings.Backplane ? "; the durable server with the Redis backplane" : "";
        text.AppendLine(Invariant($"### Throughput and latency ({settings.Devices} devices in pairs, envelopes {settings.MinSize}–{settings.MaxSize} B, {settings.Duration.TotalSeconds:0} s measured per window after {settings.Warmup.TotalSeconds:0} s warm-up{windows}{backplane})"));
        text.AppendLine();
        text.AppendLine("| | durable server | bare relay | server / relay |");
        text.AppendLine("| --- | ---: | ---: | ---: |");
        Row(text, "deliveries/s at peak (closed loop)", Rate(server.Peak), Rate(relay.Peak),
            ratios.Count > 1 ? $"{Percent(ratio)} ({Percent(ratios.Min())}–{Percent(ratios.Max())})" : Percent(ratio));
        Row(text, "latency at peak, p50 / p99 / p99.9 (ms)", Latency(server.Peak), Latency(relay.Peak), "");
        Row(text, "load offered at half peak (open loop)", N(server.HalfPeak.OfferedPerSecond ?? 0) + "/s", N(relay.HalfPeak.OfferedPerSecond ?? 0) + "/s", "");
        Row(text, "deliveries/s at half peak", N(server.HalfPeak.DeliveredPerSecond), N(relay.HalfPeak.DeliveredPerSecond), "");
        Row(text, "latency at half peak, p50 / p99 / p99.9 (ms)", Latency(server.HalfPeak), Latency(relay.HalfPeak), "");
        Row(text, "target process CPU at peak (cores of 2)", Cores(server.Peak.TargetCpuCores), Cores(relay.Peak.TargetCpuCores), "");
        Row(text, "… of which in the kernel (cores)", Cores(server.Peak.TargetKernelCores), Cores(relay.Peak.TargetKernelCores), "");
        Row(text, "target process CPU per delivery at peak (µs)", N(server.Peak.CpuMicrosecondsPerDelivery), N(relay.Peak.CpuMicrosecondsPerDelivery), "");
        if (server.Peak.CompanionCpuCores is { } redis)
        {
            Row(text, "Redis CPU at peak (cores of 2)", Cores(redis), "–", "");
            Row(text, "target process and Redis CPU per delivery at peak (µs)",
                N((server.Peak.TargetCpuCores + redis) * 1e6 / server.Peak.DeliveredPerSecond), N(relay.Peak.CpuMicrosecondsPerDelivery), "");
        }

        Row(text, "load generator CPU at peak (cores of 2)", Cores(server.Peak.BenchCpuCores), Cores(relay.Peak.BenchCpuCores), "");
        Row(text, "written to storage per delivery at peak (KiB)", KiB(server.Peak.StorageBytesPerDelivery), KiB(relay.Peak.StorageBytesPerDelivery), "");
        Row(text, "target process peak working set (MiB)", MiB(server.PeakWorkingSetBytes), MiB(relay.PeakWorkingSetBytes), "");
        Row(text, "send errors / overloaded / undelivered at end", Health(server), Health(relay), "");
        text.AppendLine();

        if (backlog is not null)
        {
            Backlog(text, server.Peak, backlog);
        }

        if (connections is not null)
        {
            text.AppendLine("### Idle authenticated connections (durable server)");
            text.AppendLine();
            text.AppendLine("| requested | held idle | failed | server working set before → after (MiB) | server per connection (KiB) | client per connection (KiB) | time to connect all (s) |");
            text.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            text.AppendLine(Invariant($"| {connections.Requested:N0} | {connections.Held:N0} | {connections.Failed:N0} | {MiB(connections.ServerBaselineBytes)} → {MiB(connections.ServerLoadedBytes)} | {connections.ServerBytesPerConnection / 1024:N1} | {connections.BenchBytesPerConnection / 1024:N1} | {connections.ConnectTime.TotalSeconds:N1} |"));
            if (connections.FirstFailure is { } failure)
            {
                text.AppendLine();
                text.AppendLine(CultureInfo.InvariantCulture, $"First connection failure: `{failure}`");
            }

            text.AppendLine();
        }

        text.AppendLine("### Against the targets of issue 5 (2 cores)");
        text.AppendLine();
        text.AppendLine("| target | measured | met |");
        text.AppendLine("| --- | ---: | :---: |");
        Row(text, Invariant($"≥ {TargetDeliveriesPerSecond:N0} durable deliveries/s (embedded store)"), N(server.Peak.DeliveredPerSecond), Met(server.Peak.DeliveredPerSecond >= TargetDeliveriesPerSecond));
        Row(text, Invariant($"≥ {TargetRelayRatio:P0} of the bare relay's throughput"), Percent(ratio), Met(ratio >= TargetRelayRatio));
        Row(text, Invariant($"p99 < {TargetP99Milliseconds:N0} ms at half of peak"), Invariant($"{server.HalfPeak.Latency.P99:N1} ms"), Met(server.HalfPeak.Latency.P99 < TargetP99Milliseconds));
        if (connections is not null)
        {
            var enough = connections.Held >= TargetConnections;
            Row(
                text,
                Invariant($"{TargetConnections:N0} idle connections at ≤ {TargetBytesPerConnection / 1024:N0} KiB each"),
                Invariant($"{connections.Held:N0} held, {connections.ServerBytesPerConnection / 1024:N1} KiB each"),
                Met(enough && connections.ServerBytesPerConnection <= TargetBytesPerConnection) + (enough ? "" : " (fewer connections)"));
        }

        return text.ToString();
    }

    private static void Backlog(StringBuilder text, PhaseResult empty, BacklogResult backlog)
    {
        var beside = backlog.PeakBeside;
        text.AppendLine(Invariant($"### Deep backlog (durable server, {backlog.Waiting:N0} copies waiting for 10 offline devices)"));
        text.AppendLine();
        text.AppendLine("| | queues empty | beside the backlog | beside / empty |");
        text.AppendLine("| --- | ---: | ---: | ---: |");
        Row(text, "deliveries/s at peak (closed loop)", Rate(empty), Rate(beside), Percent(beside.DeliveredPerSecond / empty.DeliveredPerSecond));
        Row(text, "latency at peak, p50 / p99 / p99.9 (ms)", Latency(empty), Latency(beside), "");
        Row(text, "target process CPU per delivery at peak (µs)", N(empty.CpuMicrosecondsPerDelivery), N(beside.CpuMicrosecondsPerDelivery), Percent(beside.CpuMicrosecondsPerDelivery / empty.CpuMicrosecondsPerDelivery));
        Row(text, "written to storage per delivery at peak (KiB)", KiB(empty.StorageBytesPerDelivery), KiB(beside.StorageBytesPerDelivery),
            empty.StorageBytesPerDelivery is > 0 && beside.StorageBytesPerDelivery is { } b ? Percent(b / empty.StorageBytesPerDelivery.Value) : "");
        text.AppendLine();
        text.AppendLine(Invariant(
            $"The backlog was stored at {backlog.FillPerSecond:N0} copies/s (sends only, no recipient online); the database and its WAL then held {MiB(backlog.DatabaseBytes)} MiB. Draining it (Drain stream, acknowledgements of 100) took {backlog.DrainSeconds:N1} s for {backlog.Drained:N0} copies: {backlog.Drained / backlog.DrainSeconds:N0} copies/s, {backlog.DrainCpuMicrosecondsPerCopy:N0} µs of server CPU per copy."));
        text.AppendLine();
    }

    private static void Row(StringBuilder text, string label, string server, string relay, string ratio) =>
        text.AppendLine(CultureInfo.InvariantCulture, $"| {label} | {server} | {relay} | {ratio} |");

    private static void Row(StringBuilder text, string target, string measured, string met) =>
        text.AppendLine(CultureInfo.InvariantCulture, $"| {target} | {measured} | {met} |");

    private static string Latency(PhaseResult phase) =>
        Invariant($"{phase.Latency.P50:N1} / {phase.Latency.P99:N1} / {phase.Latency.P999:N1}");

    private static string Health(TargetResult target) =>
        Invariant($"{target.Peak.SendErrors + target.HalfPeak.SendErrors} / {(target.HalfPeak.Overloaded ? "yes" : "no")} / {(target.Peak.Quiesced && target.HalfPeak.Quiesced ? "0" : "some")}");

    private static string N(double value) => double.IsNaN(value) ? "–" : value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A peak's deliveries/s: the median window, with the range of all its windows when there were several.</summary>
    private static string Rate(PhaseResult peak) =>
        peak.WindowRates is { Count: > 1 } rates ? $"{N(peak.DeliveredPerSecond)} ({N(rates.Min())}–{N(rates.Max())})" : N(peak.DeliveredPerSecond);

    /// <summary>Kibibytes with one decimal; a dash where the OS gave no count.</summary>
    private static string KiB(double? bytes) => bytes is { } b ? (b / 1024).ToString("N1", CultureInfo.InvariantCulture) : "–";

    private static string Cores(double value) => value.ToString("N2", CultureInfo.InvariantCulture);

    private static string MiB(long bytes) => (bytes / (1024.0 * 1024)).ToString("N0", CultureInfo.InvariantCulture);

    private static string Percent(double value) => value.ToString("P1", CultureInfo.InvariantCulture);

    private static string Met(bool met) => met ? "yes" : "no";

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
