namespace Billing.Wallets;

[GenerateSerializer, Alias("billing.wallets.free-credit-pool.state")]
public sealed class FreeCreditPoolState
{
    /// <summary>The grant as posted to the pool's ledger; null until <see cref="IFreeCreditPoolGrain.EnsureGranted"/>.</summary>
    [Id(0)] public decimal? GrantedUsd { get; set; }

    /// <summary>C2: the persisted due date the expiry reminder is checked against.</summary>
    [Id(1)] public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>Apps that drew free credits: each must forfeit its unspent draw at expiry. Bounded by the apps of the workspace.</summary>
    [Id(2)] public HashSet<string> DrawingApps { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Apps whose draw was already forfeited, so an interrupted expiry resumes where it stopped.</summary>
    [Id(3)] public HashSet<string> ForfeitedApps { get; set; } = new(StringComparer.Ordinal);

    [Id(4)] public decimal ForfeitedUsd { get; set; }

    /// <summary>Set once the pool and every app have forfeited: the expiry is done, exactly once.</summary>
    [Id(5)] public bool ExpiryDone { get; set; }

    [Id(6)] public bool PoolForfeited { get; set; }

    /// <summary>E1: the "free credits used up" event was raised, so it is raised once.</summary>
    [Id(7)] public bool ExhaustedRaised { get; set; }
}
