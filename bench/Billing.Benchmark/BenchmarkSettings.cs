using System.ComponentModel.DataAnnotations;

namespace Billing.Benchmark;

/// <summary>What to measure and how hard (section <c>Bench</c>; every setting also has a short command-line switch).</summary>
public sealed class BenchmarkSettings
{
    public const string Section = "Bench";

    /// <summary>Short switches, e.g. <c>--duration 5</c>, for the <c>Bench:*</c> settings.</summary>
    public static readonly Dictionary<string, string> Switches = new(StringComparer.OrdinalIgnoreCase)
    {
        ["--duration"] = $"{Section}:{nameof(DurationSeconds)}",
        ["--warmup"] = $"{Section}:{nameof(WarmupSeconds)}",
        ["--concurrency"] = $"{Section}:{nameof(Concurrency)}",
        ["--rate"] = $"{Section}:{nameof(Rate)}",
        ["--keys"] = $"{Section}:{nameof(PingKeys)}",
        ["--users"] = $"{Section}:{nameof(ChannelUsers)}",
        ["--apps"] = $"{Section}:{nameof(Apps)}",
        ["--conversation"] = $"{Section}:{nameof(ConversationLength)}",
        ["--prime"] = $"{Section}:{nameof(Prime)}",
        ["--calls"] = $"{Section}:{nameof(Calls)}",
        ["--modes"] = $"{Section}:{nameof(Modes)}",
        ["--out"] = $"{Section}:{nameof(Out)}",
    };

    /// <summary>Measured seconds of each phase, after its warm-up.</summary>
    [Range(1, 3600)] public int DurationSeconds { get; set; } = 20;

    /// <summary>Seconds each phase runs before it measures (activations, JIT, connection pools).</summary>
    [Range(0, 600)] public int WarmupSeconds { get; set; } = 5;

    /// <summary>Saturated mode: calls kept outstanding at all times.</summary>
    [Range(1, 100_000)] public int Concurrency { get; set; } = 256;

    /// <summary>Paced mode: calls per second sent on schedule, whether or not earlier ones have answered.</summary>
    [Range(1, 1_000_000)] public int Rate { get; set; } = 20_000;

    /// <summary>Distinct <c>IPingGrain</c> keys the bare calls go round.</summary>
    [Range(1, 10_000_000)] public int PingKeys { get; set; } = 10_000;

    /// <summary>Distinct end users (channel user ids) the metered messages come from, spread over <see cref="Apps"/>.</summary>
    [Range(1, 10_000_000)] public int ChannelUsers { get; set; } = 10_000;

    [Range(1, 1_000)] public int Apps { get; set; } = 20;

    /// <summary>
    /// Messages per conversation before its end user is replaced by a new one (whose first message opens a billing
    /// session): 8 gives the realistic mix (1 message in 8 opens a session), 1 a burst of session openings only.
    /// 0 keeps the same end users for the whole run (after their first message, no session opens for 15 minutes).
    /// </summary>
    [Range(0, 1_000_000)] public int ConversationLength { get; set; }

    /// <summary>
    /// Before the phases, every end user sends its first message (unmeasured, <see cref="Concurrency"/> at a time), so
    /// that the phases measure conversations under way rather than the run's first session openings. Meant for runs where
    /// the same end users run long (<see cref="ConversationLength"/> 0); the report gives the priming's own opening rate.
    /// </summary>
    public bool Prime { get; set; }

    /// <summary>Which calls to measure: <c>ping</c> (the bare call), <c>meter</c> (the metering decision), or both.</summary>
    [Required] public string Calls { get; set; } = "ping,meter";

    /// <summary>Which load patterns: <c>saturated</c>, <c>paced</c>, or both.</summary>
    [Required] public string Modes { get; set; } = "saturated,paced";

    /// <summary>Also write the Markdown report to this file.</summary>
    public string? Out { get; set; }

    /// <summary>Processes whose CPU time the report shows per call, as <c>name:pid,...</c> (bench.sh passes the silo and Azurite).</summary>
    public string? Watch { get; set; }

    public TimeSpan Duration => TimeSpan.FromSeconds(DurationSeconds);

    public TimeSpan Warmup => TimeSpan.FromSeconds(WarmupSeconds);

    public bool Measures(string call) => Has(Calls, call);

    public bool Runs(string mode) => Has(Modes, mode);

    private static bool Has(string list, string item) =>
        list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Contains(item, StringComparer.OrdinalIgnoreCase);
}

/// <summary>Which cluster the client joins (section <c>Orleans</c>), with the API's defaults: it finds gateways in the membership table.</summary>
public sealed class ClusterSettings
{
    public const string Section = "Orleans";

    [Required] public string ClusterId { get; set; } = "billing-local";

    [Required] public string ServiceId { get; set; } = "billing";
}
