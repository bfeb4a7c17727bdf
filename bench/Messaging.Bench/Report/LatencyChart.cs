using System.Globalization;
using System.Security;
using System.Text;
using Messaging.Bench.Load;

namespace Messaging.Bench.Report;

/// <summary>
/// The latency distributions of every phase as one SVG line chart, written by hand: x is the percentile on a
/// "nines" scale (50, 90, 99, 99.9, 99.99), y the send-to-receive latency in milliseconds on a log scale.
/// </summary>
internal static class LatencyChart
{
    private const double Width = 760;
    private const double Height = 440;
    private const double Left = 70;
    private const double Right = 230;
    private const double Top = 40;
    private const double Bottom = 50;
    private const double MaxNines = 4; // the 99.99th percentile

    private static readonly double[] Fractions = [0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9999];
    private static readonly string[] Colors = ["#c0392b", "#e67e22", "#2c3e50", "#3498db"];
    private static readonly string[] Dashes = ["", "6 4", "", "6 4"];

    public static void Write(string path, string title, IReadOnlyList<PhaseResult> phases, double targetMilliseconds)
    {
        var withSamples = phases.Where(p => p.Latency.Count > 0).ToList();
        var all = withSamples.SelectMany(p => Fractions.Select(p.Latency.Percentile)).Where(v => v > 0).ToList();
        var lowDecade = Math.Floor(Math.Log10(all.Count > 0 ? Math.Max(all.Min(), 0.01) : 0.1));
        var highDecade = Math.Ceiling(Math.Log10(all.Count > 0 ? all.Max() : 10));
        if (highDecade <= lowDecade)
        {
            highDecade = lowDecade + 1;
        }

        var svg = new StringBuilder();
        svg.AppendLine(Invariant($"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{Height}" viewBox="0 0 {Width} {Height}" font-family="sans-serif" font-size="12">"""));
        svg.AppendLine(Invariant($"""<rect width="{Width}" height="{Height}" fill="white"/>"""));
        svg.AppendLine(Invariant($"""<text x="{Left}" y="22" font-size="15" font-weight="bold">{Escape(title)}</text>"""));

        // Grid and axes: one vertical line per nine, one horizontal line per decade of milliseconds.
        foreach (var (nines, label) in new[] { (0.0, "min"), (Math.Log10(2), "50"), (1.0, "90"), (2.0, "99"), (3.0, "99.9"), (4.0, "99.99") })
        {
            var x = X(nines);
            svg.AppendLine(Invariant($"""<line x1="{x:0.#}" y1="{Top}" x2="{x:0.#}" y2="{Height - Bottom}" stroke="#ddd"/>"""));
            svg.AppendLine(Invariant($"""<text x="{x:0.#}" y="{Height - Bottom + 18}" text-anchor="middle">{label}</text>"""));
        }

        for (var decade = lowDecade; decade <= highDecade; decade++)
        {
            var y = Y(decade, lowDecade, highDecade);
            svg.AppendLine(Invariant($"""<line x1="{Left}" y1="{y:0.#}" x2="{Width - Right}" y2="{y:0.#}" stroke="#ddd"/>"""));
            svg.AppendLine(Invariant($"""<text x="{Left - 8}" y="{y + 4:0.#}" text-anchor="end">{Math.Pow(10, decade).ToString("0.###", CultureInfo.InvariantCulture)}</text>"""));
        }

        if (Math.Log10(targetMilliseconds) is var target && target >= lowDecade && target <= highDecade)
        {
            var y = Y(target, lowDecade, highDecade);
            svg.AppendLine(Invariant($"""<line x1="{Left}" y1="{y:0.#}" x2="{Width - Right}" y2="{y:0.#}" stroke="#27ae60" stroke-dasharray="2 3"/>"""));
            svg.AppendLine(Invariant($"""<text x="{Left + 6}" y="{y - 5:0.#}" fill="#27ae60">p99 target at half peak: {targetMilliseconds:0} ms</text>"""));
        }

        svg.AppendLine(Invariant($"""<text x="{(Left + Width - Right) / 2}" y="{Height - 12}" text-anchor="middle">percentile</text>"""));
        svg.AppendLine(Invariant($"""<text transform="translate(18 {(Top + Height - Bottom) / 2}) rotate(-90)" text-anchor="middle">send-to-receive latency (ms, log scale)</text>"""));

        for (var i = 0; i < withSamples.Count; i++)
        {
            var phase = withSamples[i];
            var points = Fractions
                .Where(f => f == 0 || (1 - f) * phase.Latency.Count >= 1)
                .Select(f => (X: X(f == 0 ? 0 : Math.Min(MaxNines, -Math.Log10(1 - f))), Y: Y(Math.Log10(Math.Max(phase.Latency.Percentile(f), 0.01)), lowDecade, highDecade)))
                .Select(p => Invariant($"{p.X:0.#},{p.Y:0.#}"));
            var dash = Dashes[i % Dashes.Length].Length > 0 ? $" stroke-dasharray=\"{Dashes[i % Dashes.Length]}\"" : "";
            svg.AppendLine(CultureInfo.InvariantCulture, $"""<polyline fill="none" stroke="{Colors[i % Colors.Length]}" stroke-width="2"{dash} points="{string.Join(' ', points)}"/>""");

            var legendY = Top + 10 + (i * 36);
            svg.AppendLine(Invariant($"""<line x1="{Width - Right + 15}" y1="{legendY}" x2="{Width - Right + 40}" y2="{legendY}" stroke="{Colors[i % Colors.Length]}" stroke-width="2"{dash}/>"""));
            svg.AppendLine(Invariant($"""<text x="{Width - Right + 46}" y="{legendY + 4}">{Escape(phase.Target)}</text>"""));
            svg.AppendLine(Invariant($"""<text x="{Width - Right + 46}" y="{legendY + 18}" fill="#555">{Escape(ShortPhase(phase))}</text>"""));
        }

        svg.AppendLine("</svg>");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, svg.ToString());
    }

    private static string ShortPhase(PhaseResult phase) => phase.OfferedPerSecond is { } offered
        ? Invariant($"half peak, {offered:N0}/s")
        : Invariant($"peak, {phase.DeliveredPerSecond:N0}/s");

    private static double X(double nines) => Left + (nines / MaxNines * (Width - Left - Right));

    private static double Y(double log10, double low, double high) => Height - Bottom - ((log10 - low) / (high - low) * (Height - Top - Bottom));

    private static string Escape(string text) => SecurityElement.Escape(text);

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
