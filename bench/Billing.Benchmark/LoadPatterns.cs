using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Billing.Benchmark;

/// <summary>One call under test: sends call number <c>sequence</c> and returns a label for its outcome (e.g. "Allowed").</summary>
public delegate Task<string> BenchCall(long sequence);

public enum LoadMode
{
    Saturated,
    Paced,
}

/// <summary>What one phase (one call, one load pattern) measured.</summary>
public sealed record PhaseResult(
    string Call,
    LoadMode Mode,
    TimeSpan Measured,
    long Completed,
    LatencyHistogram Latency,
    IReadOnlyDictionary<string, long> Outcomes,
    IReadOnlyDictionary<string, ErrorTally> Errors,
    long WarmupErrors,
    string? AbortReason)
{
    /// <summary>CPU time each watched process used during the measured window (see <see cref="ProcessCpu"/>).</summary>
    public IReadOnlyDictionary<string, TimeSpan> Cpu { get; init; } = new Dictionary<string, TimeSpan>();

    /// <summary>Working set of each watched process at the end of the phase, in bytes.</summary>
    public IReadOnlyDictionary<string, long> WorkingSets { get; init; } = new Dictionary<string, long>();

    /// <summary>Calls answered successfully per second of the measured window.</summary>
    public double Throughput => Measured > TimeSpan.Zero ? Completed / Measured.TotalSeconds : 0;

    public long ErrorCount => Errors.Values.Sum(e => e.Count);
}

public sealed record ErrorTally(long Count, string Sample);

/// <summary>What priming did: each end user's first message, sent before the phases and not part of them.</summary>
public sealed record Priming(long Answered, long Opened, long Errors, string? ErrorSample, TimeSpan Elapsed);

/// <summary>
/// The two load patterns. Both are bounded in time (warm-up + duration, then at most <see cref="DrainLimit"/> for
/// answers still on their way) and in count, and stop a phase early when every warm-up call failed.
/// </summary>
public static class LoadPatterns
{
    /// <summary>Longer than Orleans' default response timeout (30 s), so every call has answered or failed by then.</summary>
    public static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(35);

    /// <summary>Paced mode stops sending (and keeps its schedule, so the delay shows as latency) beyond this many calls in flight.</summary>
    private const int MaxInFlight = 100_000;

    /// <summary>
    /// Closed loop: <paramref name="concurrency"/> callers each send, await the answer, and send again. Throughput and
    /// latency count the calls answered inside the measured window; latency runs from the actual send.
    /// </summary>
    public static async Task<PhaseResult> RunSaturatedAsync(string name, BenchCall call, int concurrency, TimeSpan warmup, TimeSpan duration)
    {
        var recorder = new Recorder();
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + ToTimestamp(warmup);
        var end = measureFrom + ToTimestamp(duration);
        long sequence = -1;

        async Task Caller()
        {
            await Task.Yield();
            while (true)
            {
                var sentAt = Stopwatch.GetTimestamp();
                if (sentAt >= end || recorder.Aborted)
                    return;
                var n = Interlocked.Increment(ref sequence);
                try
                {
                    var outcome = await call(n);
                    var answeredAt = Stopwatch.GetTimestamp();
                    if (answeredAt >= measureFrom && answeredAt < end)
                        recorder.Success(outcome, Stopwatch.GetElapsedTime(sentAt, answeredAt));
                    else
                        recorder.WarmupSuccess(outcome);
                }
                catch (Exception e)
                {
                    recorder.Error(e, Stopwatch.GetTimestamp() >= measureFrom);
                    // A call that fails at once would otherwise spin this caller without ever yielding the thread.
                    await Task.Yield();
                }
            }
        }

        var callers = Enumerable.Range(0, concurrency).Select(_ => Caller()).ToArray();
        await recorder.AbortIfWarmupOnlyFailedAsync(warmup);
        // Bounded even if the silo stops answering (Orleans times calls out first): report what was measured.
        await Task.WhenAny(Task.WhenAll(callers), Task.Delay(warmup + duration + DrainLimit));
        return recorder.Result(name, LoadMode.Saturated, recorder.Aborted ? TimeSpan.Zero : duration);
    }

    /// <summary>
    /// Open loop: call i is due at start + i / <paramref name="rate"/> and is sent then whether or not earlier calls
    /// have answered. Latency runs from the scheduled time, not the actual send, so a stall of the client or the silo
    /// shows in full (no coordinated omission). Achieved rate counts the calls answered inside the measured window.
    /// </summary>
    public static async Task<PhaseResult> RunPacedAsync(string name, BenchCall call, int rate, TimeSpan warmup, TimeSpan duration)
    {
        var recorder = new Recorder();
        var total = (long)Math.Round(rate * (warmup + duration).TotalSeconds);
        var ticksPerCall = (double)Stopwatch.Frequency / rate;
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + ToTimestamp(warmup);
        var end = measureFrom + ToTimestamp(duration);
        long inFlight = 0;

        async Task Send(long n, long dueAt)
        {
            try
            {
                var outcome = await call(n);
                var answeredAt = Stopwatch.GetTimestamp();
                if (dueAt >= measureFrom)
                    recorder.Success(outcome, Stopwatch.GetElapsedTime(dueAt, answeredAt), countsForRate: answeredAt < end);
                else
                    recorder.WarmupSuccess(outcome);
            }
            catch (Exception e)
            {
                recorder.Error(e, dueAt >= measureFrom);
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        }

        // A dedicated thread keeps the schedule: the thread pool is busy with the answers.
        var dispatcher = Task.Factory.StartNew(() =>
        {
            long sent = 0;
            var giveUpAt = end + ToTimestamp(DrainLimit);
            while (sent < total && !recorder.Aborted && Stopwatch.GetTimestamp() < giveUpAt)
            {
                var due = Math.Min(total, (long)((Stopwatch.GetTimestamp() - start) / ticksPerCall) + 1);
                while (sent < due && Volatile.Read(ref inFlight) < MaxInFlight)
                {
                    Interlocked.Increment(ref inFlight);
                    _ = Send(sent, start + (long)(sent * ticksPerCall));
                    sent++;
                }
                Thread.Sleep(1);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        await recorder.AbortIfWarmupOnlyFailedAsync(warmup);
        await dispatcher;
        var drainUntil = Stopwatch.GetTimestamp() + ToTimestamp(DrainLimit);
        while (Volatile.Read(ref inFlight) > 0 && Stopwatch.GetTimestamp() < drainUntil)
            await Task.Delay(10);
        return recorder.Result(name, LoadMode.Paced, recorder.Aborted ? TimeSpan.Zero : duration);
    }

    private static long ToTimestamp(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Thread-safe tallies of one phase.</summary>
    private sealed class Recorder
    {
        private readonly LatencyHistogram _latency = new();
        private readonly ConcurrentDictionary<string, StrongBox<long>> _outcomes = new();
        private readonly ConcurrentDictionary<string, (StrongBox<long> Count, string Sample)> _errors = new();
        private long _completed;
        private long _warmupSuccesses;
        private long _warmupErrors;
        private volatile string? _abortReason;

        public bool Aborted => _abortReason is not null;

        public void Success(string outcome, TimeSpan latency, bool countsForRate = true)
        {
            _latency.Record(latency);
            if (countsForRate)
                Interlocked.Increment(ref _completed);
            Count(outcome);
        }

        public void WarmupSuccess(string outcome)
        {
            Interlocked.Increment(ref _warmupSuccesses);
            Count(outcome);
        }

        public void Error(Exception e, bool measured)
        {
            if (!measured)
                Interlocked.Increment(ref _warmupErrors);
            var key = e.GetType().Name;
            var tally = _errors.GetOrAdd(key, _ => (new StrongBox<long>(), Flatten(e)));
            Interlocked.Increment(ref tally.Count.Value);
        }

        /// <summary>If the warm-up produced only errors (e.g. the grain is not implemented), the phase stops: measuring failures says nothing.</summary>
        public async Task AbortIfWarmupOnlyFailedAsync(TimeSpan warmup)
        {
            if (warmup <= TimeSpan.Zero)
                return;
            await Task.Delay(warmup);
            if (Interlocked.Read(ref _warmupSuccesses) == 0 && Interlocked.Read(ref _warmupErrors) > 0)
                _abortReason = "every warm-up call failed";
        }

        public PhaseResult Result(string call, LoadMode mode, TimeSpan measured) => new(
            call, mode, measured, Interlocked.Read(ref _completed), _latency,
            _outcomes.ToDictionary(p => p.Key, p => p.Value.Value),
            _errors.ToDictionary(p => p.Key, p => new ErrorTally(p.Value.Count.Value, p.Value.Sample)),
            Interlocked.Read(ref _warmupErrors),
            _abortReason);

        private void Count(string outcome) => Interlocked.Increment(ref _outcomes.GetOrAdd(outcome, _ => new StrongBox<long>()).Value);

        private static string Flatten(Exception e)
        {
            var message = e.Message.ReplaceLineEndings(" ");
            return message.Length <= 300 ? message : message[..300] + "…";
        }
    }
}
