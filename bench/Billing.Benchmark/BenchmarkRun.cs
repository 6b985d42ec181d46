using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Billing.Benchmark;

/// <summary>
/// One run: sets up a tenant, measures the bare call and the metering decision under each load pattern on the
/// same path (client → gateway → silo), prints the Markdown report to stdout and, with --out, to a file.
/// </summary>
public sealed partial class BenchmarkRun(IClusterClient client, BenchmarkSettings settings, ClusterSettings cluster, ILogger<BenchmarkRun> logger)
{
    public const string BareCall = "bare (Ping)";
    public const string DecisionCall = "decision (Meter)";

    private readonly ProcessCpu _cpu = new(settings.Watch);

    public async Task<int> RunAsync()
    {
        var startedAt = DateTimeOffset.UtcNow;
        var results = new List<PhaseResult>();
        Workload? workload = null;
        string? setupError = null;
        try
        {
            workload = await Workload.CreateAsync(client, settings);
            SetUp(logger, workload.WorkspaceId, workload.AppIds.Count);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The bare call needs no tenant: report the failure and measure what can be measured.
            setupError = $"{e.GetType().Name}: {e.Message}";
            SetupFailed(logger, setupError);
        }

        Priming? priming = null;
        if (settings.Prime && workload is not null && settings.Measures("meter"))
            priming = await PrimeAsync(workload);

        foreach (var mode in new[] { LoadMode.Saturated, LoadMode.Paced })
        {
            if (!settings.Runs(mode.ToString()))
                continue;
            if (settings.Measures("ping"))
                results.Add(await MeasureAsync(BareCall, Workload.Ping(client, settings.PingKeys), mode));
            if (settings.Measures("meter") && workload is not null)
                results.Add(await MeasureAsync(DecisionCall, workload.Meter, mode));
        }

        var report = Report.Markdown(startedAt, settings, cluster, workload, setupError, priming, results);
        Console.Out.Write(report);
        if (!string.IsNullOrWhiteSpace(settings.Out))
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(settings.Out));
            if (directory is not null)
                Directory.CreateDirectory(directory);
            await File.WriteAllTextAsync(settings.Out, report);
            Wrote(logger, settings.Out);
        }
        return 0;
    }

    private async Task<PhaseResult> MeasureAsync(string name, BenchCall call, LoadMode mode)
    {
        Measuring(logger, name, mode, settings.WarmupSeconds, settings.DurationSeconds);
        var cpu = MeasureCpuAsync();
        var result = mode == LoadMode.Saturated
            ? await LoadPatterns.RunSaturatedAsync(name, call, settings.Concurrency, settings.Warmup, settings.Duration)
            : await LoadPatterns.RunPacedAsync(name, call, settings.Rate, settings.Warmup, settings.Duration);
        result = result with { Cpu = await cpu, WorkingSets = _cpu.WorkingSets() };
        var p50 = result.Latency.PercentileMicros(0.50) / 1000.0;
        var p99 = result.Latency.PercentileMicros(0.99) / 1000.0;
        Measured(logger, name, mode, result.Throughput, p50, p99, result.ErrorCount, result.AbortReason ?? "completed");
        return result;
    }

    /// <summary>Each end user's first message, <see cref="BenchmarkSettings.Concurrency"/> at a time, before anything is measured.</summary>
    private async Task<Priming> PrimeAsync(Workload workload)
    {
        LogPriming(logger, settings.ChannelUsers);
        var started = Stopwatch.GetTimestamp();
        long next = -1, opened = 0, answered = 0, errors = 0;
        string? sample = null;
        await Task.WhenAll(Enumerable.Range(0, Math.Min(settings.Concurrency, settings.ChannelUsers)).Select(async _ =>
        {
            await Task.Yield();
            while (Interlocked.Increment(ref next) < settings.ChannelUsers)
            {
                try
                {
                    if (await workload.Meter(next) == Workload.OpenedLabel)
                        Interlocked.Increment(ref opened);
                    Interlocked.Increment(ref answered);
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref errors);
                    sample ??= $"{e.GetType().Name}: {e.Message}";
                }
            }
        }));
        var result = new Priming(answered, opened, errors, sample, Stopwatch.GetElapsedTime(started));
        LogPrimed(logger, result.Answered, result.Opened, result.Elapsed.TotalSeconds, result.Errors);
        return result;
    }

    /// <summary>CPU used by each watched process over the phase's measured window (the same clock as the phase's).</summary>
    private async Task<IReadOnlyDictionary<string, TimeSpan>> MeasureCpuAsync()
    {
        await Task.Delay(settings.Warmup);
        var before = _cpu.Sample();
        await Task.Delay(settings.Duration);
        return ProcessCpu.Difference(before, _cpu.Sample());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Set up workspace {WorkspaceId} with {Apps} apps.")]
    private static partial void SetUp(ILogger logger, string workspaceId, int apps);

    [LoggerMessage(Level = LogLevel.Error, Message = "Setting up the workspace and apps failed, so the metering decision is not measured: {Error}")]
    private static partial void SetupFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Priming: the first message of each of {Users} end users...")]
    private static partial void LogPriming(ILogger logger, int users);

    [LoggerMessage(Level = LogLevel.Information, Message = "Primed: {Answered} answered ({Opened} opened a billing session) in {Seconds:F1} s, {Errors} errors.")]
    private static partial void LogPrimed(ILogger logger, long answered, long opened, double seconds, long errors);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Call}, {Mode}: {Warmup} s warm-up, {Duration} s measured...")]
    private static partial void Measuring(ILogger logger, string call, LoadMode mode, int warmup, int duration);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Call}, {Mode}: {Throughput:F0} calls/s, p50 {P50} ms, p99 {P99} ms, {Errors} errors ({Status}).")]
    private static partial void Measured(ILogger logger, string call, LoadMode mode, double throughput, double p50, double p99, long errors, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Report written to {Path}.")]
    private static partial void Wrote(ILogger logger, string path);
}
