using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;

namespace Billing.Benchmark;

/// <summary>The run as Markdown: machine and settings, one row per phase, the decision-to-bare ratios, decisions and errors.</summary>
public static class Report
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Markdown(DateTimeOffset startedAt, BenchmarkSettings s, ClusterSettings cluster, Workload? workload, string? setupError, Priming? priming, IReadOnlyList<PhaseResult> results)
    {
        var md = new StringBuilder();
        md.AppendLine(Inv, $"## Benchmark run {startedAt:yyyy-MM-dd HH:mm} UTC").AppendLine();
        md.AppendLine(Inv, $"- Machine: {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture}), {RuntimeInformation.FrameworkDescription}, {(GCSettings.IsServerGC ? "server" : "workstation")} GC in the client");
        md.AppendLine(Inv, $"- Path: external `IClusterClient` → gateway → silo; cluster `{cluster.ClusterId}`, service `{cluster.ServiceId}`");
        md.AppendLine(Inv, $"- Each phase: {s.WarmupSeconds} s warm-up, then {s.DurationSeconds} s measured. Saturated: {s.Concurrency:N0} calls in flight. Paced: {s.Rate:N0} calls/s open loop, latency from the scheduled send time");
        md.AppendLine(Inv, $"- Bare call: `IPingGrain.Ping` over {s.PingKeys:N0} grain keys");
        md.AppendLine(Inv, $"- Decision: `client.Meter(message)`, {s.ChannelUsers:N0} end users at a time over {s.Apps:N0} Automation AI apps of one workspace ({s.ChannelUsers / Math.Max(1, s.Apps):N0} per app), 3/4 of them on chat channels and 1/4 on voice, unique message ids, `UtcNow` timestamps");
        md.AppendLine(Inv, $"- Conversations: {s.ConversationLength switch
        {
            0 => "the same end users all run long (after each one's first message no billing session opens)",
            1 => "every message is a new end user's first (session openings only)",
            var n => string.Create(Inv, $"{n} messages each, then a new end user takes the place (1 message in {n} opens a billing session)"),
        }}");
        if (workload is not null)
            md.AppendLine(Inv, $"- Tenant: workspace `{workload.WorkspaceId}`; apps funded: {(workload.Funded ? "yes" : "no: only the workspace's $500 free credits pay (2,500 sessions)")}");
        if (priming is not null)
            md.AppendLine(Inv, $"- Primed: before the phases each end user sent its first message, {s.Concurrency:N0} at a time, unmeasured: {priming.Answered:N0} answered ({priming.Opened:N0} opened a billing session, {priming.Opened / Math.Max(priming.Elapsed.TotalSeconds, 0.001):N0}/s) in {priming.Elapsed.TotalSeconds:F1} s, {priming.Errors:N0} errors{(priming.ErrorSample is { } e ? $" (e.g. {e})" : "")}");
        if (setupError is not null)
            md.AppendLine(Inv, $"- Setup failed, decision not measured: {setupError}");
        md.AppendLine();

        md.AppendLine("| call | mode | answered | calls/s | p50 ms | p99 ms | p99.9 ms | max ms | errors |");
        md.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in results)
        {
            var mode = r.Mode == LoadMode.Saturated ? $"saturated ({s.Concurrency:N0} in flight)" : $"paced ({s.Rate:N0}/s)";
            if (r.AbortReason is not null)
            {
                md.AppendLine(Inv, $"| {r.Call} | {mode} | stopped: {r.AbortReason} | | | | | | {r.ErrorCount:N0} |");
                continue;
            }
            var h = r.Latency;
            md.AppendLine(Inv, $"| {r.Call} | {mode} | {h.Count:N0} | {r.Throughput:N0} | {Ms(h.PercentileMicros(0.50))} | {Ms(h.PercentileMicros(0.99))} | {Ms(h.PercentileMicros(0.999))} | {Ms(h.MaxMicros)} | {r.ErrorCount:N0} |");
        }
        md.AppendLine();
        md.AppendLine("calls/s: answered calls per measured second (paced: the achieved rate). Errors include the warm-up.").AppendLine();

        var processes = results.SelectMany(r => r.Cpu.Keys).Distinct().ToList();
        if (processes.Count > 0)
        {
            // What a call costs, not only how fast it returns: on a box where client, silo and Azurite share the
            // cores, throughput is bounded by the sum of these.
            md.AppendLine("CPU per answered call over the measured window (µs), and each process's load (% of one core):").AppendLine();
            md.AppendLine("| call | mode | " + string.Join(" | ", processes) + " | total µs/call |");
            md.AppendLine("| --- | --- | " + string.Join(" | ", processes.Select(_ => "---:")) + " | ---: |");
            foreach (var r in results.Where(r => r.AbortReason is null && r.Completed > 0 && r.Cpu.Count > 0))
            {
                var cells = processes.Select(p => r.Cpu.TryGetValue(p, out var used)
                    ? string.Create(Inv, $"{used.TotalMicroseconds / r.Completed:N1} ({100 * used / r.Measured:N0}%)")
                    : "");
                var total = r.Cpu.Values.Sum(c => c.TotalMicroseconds) / r.Completed;
                md.AppendLine(Inv, $"| {r.Call} | {r.Mode} | {string.Join(" | ", cells)} | {total:N1} |");
            }

            md.AppendLine();
        }

        var memory = results.Where(r => r.WorkingSets.Count > 0).ToList();
        if (memory.Count > 0)
        {
            md.AppendLine("Working set at the end of each phase (MB): " + string.Join("; ", memory.Select(r =>
                $"{r.Call} {r.Mode}: " + string.Join(", ", r.WorkingSets.Select(w => string.Create(Inv, $"{w.Key} {w.Value / 1_048_576.0:N0}")))))).AppendLine();
        }

        md.AppendLine("Decision against bare call:").AppendLine();
        md.AppendLine(Inv, $"- throughput, saturated: {Ratio(Find(results, DecisionOf(LoadMode.Saturated)), Find(results, BareOf(LoadMode.Saturated)), r => r.Throughput, v => string.Create(Inv, $"{v:N0} calls/s"))}");
        md.AppendLine(Inv, $"- p99 at the paced rate: {Ratio(Find(results, DecisionOf(LoadMode.Paced)), Find(results, BareOf(LoadMode.Paced)), r => r.Latency.PercentileMicros(0.99), v => $"{Ms((long)v)} ms")}");
        foreach (var r in results.Where(r => r.Call == BenchmarkRun.DecisionCall && r.AbortReason is null && r.Outcomes.Count > 0))
        {
            // Outcomes include the warm-up; the share of openings among them applied to the measured rate.
            var share = (double)r.Outcomes.GetValueOrDefault(Workload.OpenedLabel) / r.Outcomes.Values.Sum();
            md.AppendLine(Inv, $"- billing sessions opened, {r.Mode}: **{r.Throughput * share:N0}/s** ({share:P1} of decisions opened one)");
        }

        md.AppendLine();
        var decisions = results.Where(r => r.Call == BenchmarkRun.DecisionCall).ToList();
        if (decisions.Count > 0)
        {
            md.AppendLine("Decisions (every answered `Meter` call of the phase, warm-up included):").AppendLine();
            md.AppendLine("| mode | outcome | count |");
            md.AppendLine("| --- | --- | ---: |");
            foreach (var r in decisions)
            {
                if (r.Outcomes.Count == 0)
                    md.AppendLine(Inv, $"| {r.Mode} | none answered | 0 |");
                foreach (var (outcome, count) in r.Outcomes.OrderBy(o => o.Key, StringComparer.Ordinal))
                    md.AppendLine(Inv, $"| {r.Mode} | {outcome} | {count:N0} |");
            }
            md.AppendLine();
        }

        var errors = results.SelectMany(r => r.Errors.Select(e => (r.Call, r.Mode, Type: e.Key, e.Value))).ToList();
        if (errors.Count > 0)
        {
            md.AppendLine("Errors (warm-up included):").AppendLine();
            md.AppendLine("| call | mode | error | count | first message |");
            md.AppendLine("| --- | --- | --- | ---: | --- |");
            foreach (var e in errors)
                md.AppendLine(Inv, $"| {e.Call} | {e.Mode} | {e.Type} | {e.Value.Count:N0} | {e.Value.Sample.Replace("|", "\\|", StringComparison.Ordinal)} |");
            md.AppendLine();
        }
        return md.ToString();
    }

    private static (string, LoadMode) BareOf(LoadMode mode) => (BenchmarkRun.BareCall, mode);

    private static (string, LoadMode) DecisionOf(LoadMode mode) => (BenchmarkRun.DecisionCall, mode);

    private static PhaseResult? Find(IReadOnlyList<PhaseResult> results, (string Call, LoadMode Mode) phase) =>
        results.FirstOrDefault(r => r.Call == phase.Call && r.Mode == phase.Mode && r.AbortReason is null && r.Latency.Count > 0);

    private static string Ratio(PhaseResult? decision, PhaseResult? bare, Func<PhaseResult, double> measure, Func<double, string> format)
    {
        if (decision is null || bare is null || measure(bare) <= 0)
            return "n/a (a phase was not run or answered no call)";
        return string.Create(Inv, $"**{measure(decision) / measure(bare):F2}** (decision {format(measure(decision))} / bare {format(measure(bare))})");
    }

    private static string Ms(long micros) => (micros / 1000.0).ToString(micros < 10_000 ? "F2" : "F1", Inv);
}
