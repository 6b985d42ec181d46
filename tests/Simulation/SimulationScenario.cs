namespace Billing.Tests.Simulation;

/// <summary>A silo taken down mid-run and replaced: which one, how, and after how many answered messages.</summary>
public sealed record SiloRestart(int Silo, bool Graceful, int AfterMessages);

/// <summary>
/// Everything a seed decides before a run starts: the workload and the faults. The same seed gives the same scenario;
/// what the processes then interleave is up to the machine, which is why a run's storage faults are drawn per request
/// from the seed too (<see cref="StorageFaultProxy"/>).
/// </summary>
public sealed record SimulationScenario(
    int Seed,
    int UsersPerApp,
    int MessagesPerUser,
    double StorageFaultRate,
    double DuplicateRate,
    SiloRestart? Restart,
    int OwnerActions,
    bool Subscribes,
    bool ExpiresFreeCredits,
    decimal ReloadMinimumBelowBalanceUsd)
{
    private static readonly double[] StorageFaultRates = [0.0, 0.02, 0.05, 0.1];
    private static readonly double[] DuplicateRates = [0.0, 0.1, 0.3];

    public static SimulationScenario From(int seed, int silos)
    {
        var random = new Random(seed);
        var users = random.Next(3, 8);
        var messages = random.Next(2, 7);
        return new SimulationScenario(
            seed,
            users,
            messages,
            StorageFaultRate: StorageFaultRates[random.Next(StorageFaultRates.Length)],
            DuplicateRate: DuplicateRates[random.Next(DuplicateRates.Length)],
            Restart: random.NextDouble() < 0.35 ? new SiloRestart(random.Next(silos), random.Next(2) == 0, random.Next(1, users * messages * 2)) : null,
            OwnerActions: random.Next(3, 9),
            Subscribes: random.Next(2) == 0,
            ExpiresFreeCredits: random.NextDouble() < 0.4,
            ReloadMinimumBelowBalanceUsd: random.Next(1, 6) * 0.20m);
    }

    /// <summary>The faults of this run, as the run's report and docs/reliability.md name them.</summary>
    public string Faults()
    {
        var faults = new List<string>();
        if (StorageFaultRate > 0)
            faults.Add($"storage {StorageFaultRate:P0}");
        if (DuplicateRate > 0)
            faults.Add($"duplicates {DuplicateRate:P0}");
        if (Restart is { } r)
            faults.Add($"{(r.Graceful ? "SIGTERM" : "SIGKILL")} silo {r.Silo}");
        return faults.Count == 0 ? "none" : string.Join(", ", faults);
    }
}
