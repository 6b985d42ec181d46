namespace Billing.Rules;

/// <summary>Auto-reload rules (A1-A5), free of Orleans so they are unit-tested directly.</summary>
public static class AutoReloadRules
{
    /// <summary>A2: a reload is due when the paid balance is below the minimum to maintain.</summary>
    public static bool ReloadDue(decimal paidUsd, decimal minimumUsd) => paidUsd < minimumUsd;

    /// <summary>
    /// A3: when the reload that failed for the <paramref name="failedAttempts"/>-th time in a row is tried again, or null
    /// when the schedule is exhausted (auto-reload then waits for the owner: a new purchase or new settings restart it).
    /// </summary>
    public static DateTimeOffset? NextRetryAt(DateTimeOffset failedAt, int failedAttempts, IReadOnlyList<TimeSpan> schedule) =>
        failedAttempts >= 1 && failedAttempts <= schedule.Count ? failedAt + schedule[failedAttempts - 1] : null;

    /// <summary>
    /// A5: the low-balance alert goes out when the balance is at or below the limit while auto-reload is off or failing,
    /// once per crossing: <paramref name="alertedThisCrossing"/> is cleared only when the balance climbs above the limit.
    /// </summary>
    public static bool LowBalanceAlertDue(decimal paidUsd, decimal limitUsd, bool autoReloadHealthy, bool alertedThisCrossing) =>
        paidUsd <= limitUsd && !autoReloadHealthy && !alertedThisCrossing;

    /// <summary>The balance the wallet watches: it tells the payments grain when the paid balance falls below it.</summary>
    public static decimal WatchLimit(bool reloadEnabled, decimal minimumUsd, decimal lowBalanceLimitUsd) =>
        reloadEnabled ? Math.Max(minimumUsd, lowBalanceLimitUsd + 0.01m) : lowBalanceLimitUsd + 0.01m;
}
