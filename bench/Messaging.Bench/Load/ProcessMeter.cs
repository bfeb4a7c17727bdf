using System.Diagnostics;
using System.Globalization;

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

    /// <summary>
    /// Bytes the process has had written to storage so far (Linux: <c>write_bytes</c> of <c>/proc/PID/io</c>, counted as
    /// the kernel sends them to the disk: for the server, its WAL, checkpoints and database file; sockets are not
    /// counted). Null where the OS does not say.
    /// </summary>
    public long? StorageWrittenBytes
    {
        get
        {
            try
            {
                var line = File.ReadLines($"/proc/{processId}/io").FirstOrDefault(l => l.StartsWith(WriteBytes, StringComparison.Ordinal));
                return line is null ? null : long.Parse(line.AsSpan(WriteBytes.Length).Trim(), CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
    }

    public static ProcessMeter Self { get; } = new(Environment.ProcessId);

    private const string WriteBytes = "write_bytes:";

    private T Read<T>(Func<Process, T> read)
    {
        using var process = Process.GetProcessById(processId);
        return read(process);
    }
}
