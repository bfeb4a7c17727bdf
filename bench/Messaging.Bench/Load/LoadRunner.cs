using System.Diagnostics;
using Messaging.Bench.Targets;

namespace Messaging.Bench.Load;

/// <summary>One measured load phase against one target.</summary>
internal sealed record PhaseResult(
    string Target,
    string Phase,
    double? OfferedPerSecond,
    double DeliveredPerSecond,
    LatencySummary Latency,
    double TargetCpuCores,
    double TargetKernelCores,
    double BenchCpuCores,
    long SendErrors,
    bool Overloaded,
    bool Quiesced,
    double? StorageBytesPerDelivery,
    double? CompanionCpuCores,
    IReadOnlyList<double>? WindowRates = null)
{
    /// <summary>Target CPU time per delivery, in microseconds.</summary>
    public double CpuMicrosecondsPerDelivery => DeliveredPerSecond > 0 ? TargetCpuCores * 1e6 / DeliveredPerSecond : double.NaN;
}

/// <summary>
/// Drives a target's devices. Closed loop (peak): every device sends its next envelope as soon as the last one is
/// acknowledged. Open loop (a fixed rate): envelopes are due on a schedule whatever the target does, and latency is
/// measured from the scheduled time, so a target that falls behind shows it (no coordinated omission).
/// </summary>
internal static class LoadRunner
{
    /// <summary>How long a phase may take to deliver what it sent after the load stops.</summary>
    private static readonly TimeSpan QuiesceBound = TimeSpan.FromSeconds(60);

    /// <summary>The peak: <see cref="BenchSettings.Windows"/> windows back to back after the warm-up, the median standing for them.</summary>
    public static async Task<PhaseResult> ClosedLoopAsync(BenchTarget target, BenchSettings settings, Payloads payloads) =>
        Median(await ClosedLoopWindowsAsync(target, settings.Warmup, settings.Duration, settings.Windows, payloads));

    /// <summary>Closed-loop windows back to back under the same load, in the order they were measured.</summary>
    public static async Task<IReadOnlyList<PhaseResult>> ClosedLoopWindowsAsync(
        BenchTarget target, TimeSpan warmup, TimeSpan duration, int windows, Payloads payloads)
    {
        using var stop = new CancellationTokenSource();
        var senders = target.Devices.Select((device, i) => Task.Run(async () =>
        {
            var draws = new SizeDraws((uint)i + 1);
            while (!stop.IsCancellationRequested)
            {
                await SendOneAsync(target, device, payloads.Create(draws.Next(), Stopwatch.GetTimestamp()));
            }
        })).ToList();

        await Task.Delay(warmup);
        var closes = new List<Func<string, double?, bool, bool, PhaseResult>>();
        for (var i = 0; i < windows; i++)
        {
            var window = Window.Open(target);
            await Task.Delay(duration);
            closes.Add(window.Close());
        }

        await stop.CancelAsync();
        await Task.WhenAll(senders);
        var quiesced = await target.QuiesceAsync(QuiesceBound);
        return [.. closes.Select(close => close("peak (closed loop)", null, false, quiesced))];
    }

    /// <summary>
    /// One window on a shared machine can differ from the next by 15 % or more: the median window stands for the phase
    /// (its latency and CPU included), the range goes with it, and what went wrong in any window counts.
    /// </summary>
    public static PhaseResult Median(IReadOnlyList<PhaseResult> windows)
    {
        var ordered = windows.OrderBy(w => w.DeliveredPerSecond).ToList();
        return ordered[ordered.Count / 2] with
        {
            WindowRates = [.. ordered.Select(w => w.DeliveredPerSecond)],
            SendErrors = windows.Sum(w => w.SendErrors),
            Quiesced = windows.All(w => w.Quiesced),
        };
    }

    public static async Task<PhaseResult> OpenLoopAsync(BenchTarget target, BenchSettings settings, Payloads payloads, double perSecond)
    {
        var devices = target.Devices;
        var inFlight = 0L;
        var overloaded = false;
        var draws = new SizeDraws(7);
        var start = Stopwatch.GetTimestamp();
        var total = settings.Warmup + settings.Duration;
        Window? window = null;
        long issued = 0;
        while (Stopwatch.GetElapsedTime(start) is var elapsed && elapsed < total)
        {
            if (window is null && elapsed >= settings.Warmup)
            {
                window = Window.Open(target);
            }

            var due = (long)(perSecond * elapsed.TotalSeconds);
            for (; issued < due; issued++)
            {
                if (Interlocked.Read(ref inFlight) >= BenchSettings.MaxInFlight)
                {
                    overloaded = true;
                    issued = due;
                    break;
                }

                var scheduled = start + (long)(issued / perSecond * Stopwatch.Frequency);
                var device = devices[(int)(issued % devices.Count)];
                Interlocked.Increment(ref inFlight);
                _ = SendTrackedAsync(target, device, payloads.Create(draws.Next(), scheduled), () => Interlocked.Decrement(ref inFlight));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(1));
        }

        var close = (window ?? Window.Open(target)).Close();
        using (var deadline = new CancellationTokenSource(QuiesceBound))
        {
            while (Interlocked.Read(ref inFlight) > 0 && !deadline.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), CancellationToken.None);
            }
        }

        var quiesced = await target.QuiesceAsync(QuiesceBound);
        return close($"{perSecond:N0}/s offered (open loop)", perSecond, overloaded, quiesced);
    }

    private static async Task SendTrackedAsync(BenchTarget target, BenchDevice device, byte[] payload, Action done)
    {
        try
        {
            await SendOneAsync(target, device, payload);
        }
        finally
        {
            done();
        }
    }

    private static async Task SendOneAsync(BenchTarget target, BenchDevice device, byte[] payload)
    {
        try
        {
            await target.SendAsync(device, payload);
            target.Recorder.SendSucceeded();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or OperationCanceledException or TimeoutException)
        {
            target.Recorder.SendFailed();
        }
    }

    /// <summary>The measurement window: deliveries, CPU times and latency samples between Open and Close.</summary>
    private sealed class Window
    {
        private readonly BenchTarget target;
        private readonly long started = Stopwatch.GetTimestamp();
        private readonly long delivered;
        private readonly long errors;
        private readonly TimeSpan targetCpu;
        private readonly TimeSpan targetKernel;
        private readonly TimeSpan benchCpu;
        private readonly long? storageWritten;
        private readonly ProcessMeter? companion;
        private readonly TimeSpan companionCpu;

        private Window(BenchTarget target)
        {
            companion = target.Companion;
            companionCpu = companion?.CpuTime ?? TimeSpan.Zero;
            this.target = target;
            target.Recorder.StartRecording();
            delivered = target.Recorder.Delivered;
            errors = target.Recorder.SendErrors;
            targetCpu = target.Process.CpuTime;
            targetKernel = target.Process.KernelTime;
            benchCpu = ProcessMeter.Self.CpuTime;
            storageWritten = target.Process.StorageWrittenBytes;
        }

        public static Window Open(BenchTarget target) => new(target);

        public Func<string, double?, bool, bool, PhaseResult> Close()
        {
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var deliveredCount = target.Recorder.Delivered - delivered;
            var deliveredPerSecond = deliveredCount / seconds;
            double? storagePerDelivery = target.Process.StorageWrittenBytes - storageWritten is { } written && deliveredCount > 0
                ? (double)written / deliveredCount
                : null;
            var targetCores = (target.Process.CpuTime - targetCpu).TotalSeconds / seconds;
            var kernelCores = (target.Process.KernelTime - targetKernel).TotalSeconds / seconds;
            var benchCores = (ProcessMeter.Self.CpuTime - benchCpu).TotalSeconds / seconds;
            double? companionCores = companion is null ? null : (companion.CpuTime - companionCpu).TotalSeconds / seconds;
            var latency = target.Recorder.StopRecording();
            var sendErrors = target.Recorder.SendErrors - errors;
            return (phase, offered, overloaded, quiesced) => new PhaseResult(
                target.Name, phase, offered, deliveredPerSecond, latency, targetCores, kernelCores, benchCores, sendErrors, overloaded, quiesced,
                storagePerDelivery, companionCores);
        }
    }
}
