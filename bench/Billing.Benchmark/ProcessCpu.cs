using System.Diagnostics;
using System.Globalization;

namespace Billing.Benchmark;

/// <summary>
/// CPU time used by the processes of a run (the load generator itself, and the silo and Azurite when bench.sh names
/// their pids), so that the report can say what one call costs in CPU on each side, not only how fast it came back.
/// Linux only (reads <c>/proc/PID/stat</c>); elsewhere only the load generator is measured.
/// </summary>
public sealed class ProcessCpu
{
    /// <summary>USER_HZ: the unit of utime and stime in /proc/PID/stat; 100 on every mainstream Linux.</summary>
    private const double ClockTicksPerSecond = 100;

    private readonly IReadOnlyList<(string Name, int Pid)> _watched;

    public ProcessCpu(string? watch)
    {
        var watched = new List<(string, int)>();
        foreach (var item in (watch ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = item.Split(':');
            if (parts.Length == 2 && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var pid))
                watched.Add((parts[0], pid));
        }

        _watched = watched;
    }

    /// <summary>Cumulative CPU time per process name, the load generator as "load generator".</summary>
    public IReadOnlyDictionary<string, TimeSpan> Sample()
    {
        var sample = new Dictionary<string, TimeSpan>(StringComparer.Ordinal)
        {
            ["load generator"] = Process.GetCurrentProcess().TotalProcessorTime,
        };
        foreach (var (name, pid) in _watched)
        {
            if (Read(pid) is { } used)
                sample[name] = used;
        }

        return sample;
    }

    /// <summary>
    /// Resident memory (VmRSS, the working set) of each watched process now, in bytes: what the silo holds for the end
    /// users, apps and workspaces of the run (docs/metering.md says what each costs).
    /// </summary>
    public IReadOnlyDictionary<string, long> WorkingSets()
    {
        var sets = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, pid) in _watched)
        {
            try
            {
                var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                if (line?.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var kb, ..] && long.TryParse(kb, CultureInfo.InvariantCulture, out var value))
                    sets[name] = value * 1024;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended: nothing to report.
            }
        }

        return sets;
    }

    public static IReadOnlyDictionary<string, TimeSpan> Difference(IReadOnlyDictionary<string, TimeSpan> before, IReadOnlyDictionary<string, TimeSpan> after) =>
        after.Where(a => before.ContainsKey(a.Key)).ToDictionary(a => a.Key, a => a.Value - before[a.Key], StringComparer.Ordinal);

    private static TimeSpan? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may contain spaces: fields are counted after it.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / ClockTicksPerSecond);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
