using System.Buffers.Binary;
using System.Diagnostics;

namespace Messaging.Bench.Load;

/// <summary>
/// Counts what a target did and keeps the send-to-receive latency of every copy received while recording. Each
/// payload starts with the Stopwatch timestamp of its (intended) send, written by the same process, so no clock
/// needs to be synchronised.
/// </summary>
internal sealed class Recorder
{
    /// <summary>Latency samples kept per window; more are counted but not kept (about 32 MB at most).</summary>
    private const int Capacity = 4_000_000;

    private readonly long[] samples = new long[Capacity];
    private int count;
    private volatile bool recording;
    private long delivered;
    private long sent;
    private long sendErrors;

    /// <summary>
    /// Copies received by their device. The server's are acknowledged as they arrive, and the end of each phase checks
    /// that every acknowledgement deleted its copy (<see cref="Targets.BenchTarget.QuiesceAsync"/>).
    /// </summary>
    public long Delivered => Interlocked.Read(ref delivered);

    /// <summary>Sends the target acknowledged (for the server: stored durably).</summary>
    public long Sent => Interlocked.Read(ref sent);

    public long SendErrors => Interlocked.Read(ref sendErrors);

    public static void Stamp(Span<byte> payload, long timestamp) => BinaryPrimitives.WriteInt64LittleEndian(payload, timestamp);

    public void Received(ReadOnlySpan<byte> payload)
    {
        if (!recording || payload.Length < sizeof(long))
        {
            return;
        }

        var latency = Stopwatch.GetTimestamp() - BinaryPrimitives.ReadInt64LittleEndian(payload);
        var index = Interlocked.Increment(ref count) - 1;
        if (index < Capacity)
        {
            samples[index] = latency;
        }
    }

    public void DeliveredCopies(int copies) => Interlocked.Add(ref delivered, copies);

    public void SendSucceeded() => Interlocked.Increment(ref sent);

    public void SendFailed() => Interlocked.Increment(ref sendErrors);

    public void StartRecording()
    {
        Volatile.Write(ref count, 0);
        recording = true;
    }

    public LatencySummary StopRecording()
    {
        recording = false;
        var kept = Math.Min(Volatile.Read(ref count), Capacity);
        var sorted = samples.AsSpan(0, kept).ToArray();
        Array.Sort(sorted);
        return new LatencySummary(sorted);
    }
}

/// <summary>Latency percentiles of one measurement window, from every sample (no histogram rounding).</summary>
internal sealed class LatencySummary(long[] sortedTicks)
{
    public int Count => sortedTicks.Length;

    public double P50 => Percentile(0.50);

    public double P99 => Percentile(0.99);

    public double P999 => Percentile(0.999);

    public double Max => Count == 0 ? double.NaN : ToMilliseconds(sortedTicks[^1]);

    /// <summary>The latency in milliseconds below which <paramref name="fraction"/> of the samples fall (nearest rank).</summary>
    public double Percentile(double fraction)
    {
        if (Count == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(fraction * Count) - 1;
        return ToMilliseconds(sortedTicks[Math.Clamp(rank, 0, Count - 1)]);
    }

    private static double ToMilliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
