using System.CommandLine;
using System.Globalization;

namespace Messaging.Bench;

/// <summary>What one run measures; <c>--quick</c> changes the defaults for a smoke run of about thirty seconds.</summary>
internal sealed record BenchSettings(
    TimeSpan Warmup,
    TimeSpan Duration,
    int Devices,
    int MinSize,
    int MaxSize,
    int Connections,
    int Backlog,
    int Windows,
    TimeSpan IdleHold,
    string ChartPath,
    string? MarkdownPath,
    bool Quick,
    bool Backplane)
{
    /// <summary>Above this many sends in flight, an open-loop phase stops adding load and reports the target as overloaded.</summary>
    public const int MaxInFlight = 20_000;

    /// <summary>
    /// The warm-up before each peak window after a target's first (<see cref="Load.PairedPeaks"/>): the JIT's work is
    /// done by then, and the load only needs to settle again.
    /// </summary>
    public TimeSpan Rewarm => Warmup < TimeSpan.FromSeconds(5) ? Warmup : TimeSpan.FromSeconds(5);

    public static readonly Option<double?> DurationOption = new("--duration") { Description = "Measured seconds per load phase (default 15; quick 2)." };
    public static readonly Option<double?> WarmupOption = new("--warmup") { Description = "Unmeasured seconds before each load phase (default 30, long enough for the JIT's tiers and PGO; quick 1); 5 s at most before a target's later peak windows." };
    public static readonly Option<int?> DevicesOption = new("--devices") { Description = "Simulated devices, in pairs that write to each other (default 100; quick 20)." };
    public static readonly Option<string> SizesOption = new("--sizes") { Description = "Envelope sizes in bytes, MIN-MAX, drawn uniformly.", DefaultValueFactory = _ => "512-4096" };
    public static readonly Option<int?> ConnectionsOption = new("--connections") { Description = "Authenticated idle connections to hold; 0 skips the test (default 10000; quick 500)." };
    public static readonly Option<int?> BacklogOption = new("--backlog") { Description = "Copies to pile up for offline devices before measuring the peak again and draining them; 0 skips (default 100000; quick 2000)." };
    public static readonly Option<int?> WindowsOption = new("--windows") { Description = "Measured windows per peak phase, the server's and the relay's taken in turns; the median is reported with the range (default 3; quick 1)." };
    public static readonly Option<string?> ChartOption = new("--chart") { Description = "Where to write the latency chart (SVG); default artifacts/bench/benchmarks-latency.svg." };
    public static readonly Option<string?> MarkdownOption = new("--markdown") { Description = "Also write the result tables (Markdown) to this file." };
    public static readonly Option<bool> BackplaneOption = new("--backplane") { Description = "Run the durable server with SignalR's Redis backplane (Debian's redis-server on a free port), as one node of several: every push goes through Redis." };
    public static readonly Option<bool> QuickOption = new("--quick") { Description = "A smoke run of about thirty seconds: 20 devices, 1 + 2 s phases, 500 connections." };

    public static IEnumerable<Option> All => [DurationOption, WarmupOption, DevicesOption, SizesOption, ConnectionsOption, BacklogOption, WindowsOption, ChartOption, MarkdownOption, BackplaneOption, QuickOption];

    public static BenchSettings From(ParseResult result, string repositoryRoot)
    {
        var quick = result.GetValue(QuickOption);
        var sizes = result.GetValue(SizesOption)!.Split('-', 2);
        var minSize = int.Parse(sizes[0], CultureInfo.InvariantCulture);
        var maxSize = sizes.Length == 2 ? int.Parse(sizes[1], CultureInfo.InvariantCulture) : minSize;
        var devices = result.GetValue(DevicesOption) ?? (quick ? 20 : 100);
        var settings = new BenchSettings(
            TimeSpan.FromSeconds(result.GetValue(WarmupOption) ?? (quick ? 1 : 30)),
            TimeSpan.FromSeconds(result.GetValue(DurationOption) ?? (quick ? 2 : 15)),
            devices + (devices % 2),
            minSize,
            maxSize,
            result.GetValue(ConnectionsOption) ?? (quick ? 500 : 10_000),
            result.GetValue(BacklogOption) ?? (quick ? 2_000 : 100_000),
            result.GetValue(WindowsOption) ?? (quick ? 1 : 3),
            TimeSpan.FromSeconds(quick ? 1 : 20),
            Path.GetFullPath(result.GetValue(ChartOption) ?? Path.Combine(repositoryRoot, "artifacts", "bench", "benchmarks-latency.svg")),
            result.GetValue(MarkdownOption) is { } markdown ? Path.GetFullPath(markdown) : null,
            quick,
            result.GetValue(BackplaneOption));
        settings.Validate();
        return settings;
    }

    private void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Devices, 2, "--devices");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Devices, 2_000, "--devices");
        ArgumentOutOfRangeException.ThrowIfLessThan(MinSize, 16, "--sizes");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxSize, 60 * 1024, "--sizes");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSize, MinSize, "--sizes");
        ArgumentOutOfRangeException.ThrowIfNegative(Connections, "--connections");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Connections, 20_000, "--connections");
        ArgumentOutOfRangeException.ThrowIfNegative(Backlog, "--backlog");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Backlog, 1_000_000, "--backlog");
        ArgumentOutOfRangeException.ThrowIfLessThan(Windows, 1, "--windows");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Windows, 9, "--windows");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Duration, TimeSpan.Zero, "--duration");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Duration, TimeSpan.FromMinutes(10), "--duration");
        ArgumentOutOfRangeException.ThrowIfNegative(Warmup.Ticks, "--warmup");
    }
}
