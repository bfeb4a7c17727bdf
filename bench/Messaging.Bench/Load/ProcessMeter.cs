using System.Diagnostics;

namespace Messaging.Bench.Load;

/// <summary>CPU time and memory of one process (the server, the relay, or the benchmark itself), read from the OS.</summary>
internal sealed class ProcessMeter(int processId)
{
    public TimeSpan CpuTime => Read(p => p.TotalProcessorTime);

    /// <summary>The part of <see cref="CpuTime"/> spent in the kernel (system calls: sockets, file writes, fsync).</summary>
    public TimeSpan KernelTime => Read(p => p.PrivilegedProcessorTime);

    /// <summary>The resident set now.</summary>
    public long WorkingSet => Read(p => p.WorkingSet64);

    /// <summary>The largest resident set since the process started (Linux: VmHWM).</summary>
    public long PeakWorkingSet => Read(p => p.PeakWorkingSet64);

    public static ProcessMeter Self { get; } = new(Environment.ProcessId);

    private T Read<T>(Func<Process, T> read)
    {
        using var process = Process.GetProcessById(processId);
        return read(process);
    }
}
