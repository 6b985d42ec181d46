using System.Diagnostics;
using System.Globalization;
using Billing.Tests.Infrastructure;

namespace Billing.Tests.Simulation;

/// <summary>
/// The seeded fault simulation (docs/reliability.md): seeds run one after another on one cluster of real silo processes,
/// each on a workspace of its own, each checked before the next starts. A failing seed names itself and the command
/// that replays it; the others still run, so one report lists every seed that failed.
/// </summary>
public sealed class SimulationTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Seeded_faults_leave_every_balance_charge_payment_and_email_exact_C7_B4_A2_P4_E2()
    {
        var settings = SimulationSettings.FromEnvironment();
        var cancel = TestContext.Current.CancellationToken;
        await using var cluster = await SimulationCluster.StartAsync(azurite, settings.Silos, cancel);
        var failures = new List<string>();
        var total = Stopwatch.StartNew();
        foreach (var seed in settings.Seeds())
        {
            var scenario = SimulationScenario.From(seed, cluster.SiloCount);
            var run = new SimulationRun(cluster, scenario, cancel);
            var clock = Stopwatch.StartNew();
            string line;
            string? details = null;
            try
            {
                await cluster.EnsureAllRunningAsync(cancel);
                await run.RunAsync();
                var ran = clock.Elapsed;
                var invariants = new SimulationInvariants(cluster, run, azurite, cancel);
                await invariants.CheckAsync();
                line = $"seed {seed} passed in {clock.Elapsed.TotalSeconds:0.0}s (run {ran.TotalSeconds:0.0}s; {string.Join(", ", invariants.Timings)}); faults: {scenario.Faults()}; {run.Summary}";
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
            {
                line = $"seed {seed} FAILED in {clock.Elapsed.TotalSeconds:0.0}s; faults: {scenario.Faults()}; {run.Summary}{Environment.NewLine}"
                    + $"  {e.GetType().Name}: {e.Message}{Environment.NewLine}  replay: {SimulationSettings.ReplayCommand(seed)}";
                details = cluster.RecentOutput();
                failures.Add(line + Environment.NewLine + details);
            }

            settings.Report(line, details);
        }

        var (forwarded, fails, timeouts, lost) = cluster.Proxy.Counts();
        settings.Report($"{settings.Seeds().Count()} seeds, {failures.Count} failed, in {total.Elapsed.TotalSeconds:0}s; storage requests {forwarded}, "
            + $"failed {fails}, timed out {timeouts}, reply lost {lost}; silo restarts {cluster.Restarts}");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine + Environment.NewLine, failures));
    }
}

/// <summary>
/// Which seeds run: <c>SIMULATION_SEED=n</c> replays one; <c>SIMULATION_SEEDS=n</c> runs n seeds from
/// <c>SIMULATION_FIRST_SEED</c> (default 1); the default is the few seeds that fit the test suite's budget.
/// <c>SIMULATION_SILOS</c> sets the cluster size (default 2); <c>SIMULATION_LOG</c> names a file each seed's line is
/// appended to (long runs).
/// </summary>
public sealed record SimulationSettings(int FirstSeed, int Count, int Silos, string? LogFile)
{
    /// <summary>Seeds of the default run in ./test.sh: about two minutes on the two-core CI machine.</summary>
    public const int DefaultSeeds = 4;

    public static SimulationSettings FromEnvironment()
    {
        static int? Read(string name) =>
            int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
        var log = Environment.GetEnvironmentVariable("SIMULATION_LOG");
        var silos = Math.Clamp(Read("SIMULATION_SILOS") ?? 2, 2, 3);
        return Read("SIMULATION_SEED") is { } one
            ? new SimulationSettings(one, 1, silos, log)
            : new SimulationSettings(Read("SIMULATION_FIRST_SEED") ?? 1, Math.Max(1, Read("SIMULATION_SEEDS") ?? DefaultSeeds), silos, string.IsNullOrWhiteSpace(log) ? null : log);
    }

    public IEnumerable<int> Seeds() => Enumerable.Range(FirstSeed, Count);

    public static string ReplayCommand(int seed) =>
        $"SIMULATION_SEED={seed} dotnet test --project tests/Billing.Tests.csproj -c Release -- --filter-class Billing.Tests.Simulation.SimulationTests";

    /// <summary>One seed's line; a failing seed's silo output goes to the log file too, where a long run's evidence stays.</summary>
    public void Report(string line, string? details = null)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        if (LogFile is not null)
            File.AppendAllText(LogFile, $"{DateTimeOffset.UtcNow:u} {line}{Environment.NewLine}{(details is null ? "" : details + Environment.NewLine)}");
    }
}
