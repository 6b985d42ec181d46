namespace Billing.Rules;

/// <summary>A setting of auto-reload that cannot be accepted: the field to name, the problem code and why.</summary>
public sealed record SettingProblem(string Field, string Code, string Message);

/// <summary>What the auto-reload grain decides (A1-A3), free of Orleans so it is unit-tested directly.</summary>
public static class ReloadDecisionRules
{
    /// <summary>
    /// A1: the amount and minimum of switched-on settings: the amount within the reload limits, in cents; the minimum
    /// to maintain 0 or more, at most the largest payment, in cents. Null when both are acceptable.
    /// </summary>
    public static SettingProblem? SettingsProblem(decimal? amountUsd, decimal? minimumBalanceUsd, decimal minimumReloadUsd, decimal maximumPurchaseUsd)
    {
        if (amountUsd is not { } amount || PaymentRules.AmountProblem(amount, minimumReloadUsd, maximumPurchaseUsd) is not null)
            return new("amountUsd", "auto-reload.amount.invalid", $"The reload amount is ${minimumReloadUsd:0.00} to ${maximumPurchaseUsd:0.00}, in cents.");
        if (minimumBalanceUsd is not { } minimum || minimum < 0m || minimum > maximumPurchaseUsd || decimal.Round(minimum, 2) != minimum)
            return new("minimumBalanceUsd", "auto-reload.minimum.invalid", "The minimum credit to maintain is 0 or more, in cents.");
        return null;
    }

    /// <summary>
    /// A2, A3: whether a new reload starts now: auto-reload is on, none is in flight, a failed one is not waiting for
    /// its retry time (a schedule run out waits for the owner: no retry time at all), and the paid balance is below the
    /// minimum to maintain.
    /// </summary>
    public static bool StartReload(bool enabled, decimal minimumBalanceUsd, decimal paidUsd, bool reloadInFlight, int failedAttempts, DateTimeOffset? nextRetryAt, DateTimeOffset now)
    {
        var retryWaiting = failedAttempts > 0 && (nextRetryAt is not { } retryAt || now < retryAt);
        return enabled && !reloadInFlight && !retryWaiting && AutoReloadRules.ReloadDue(paidUsd, minimumBalanceUsd);
    }
}
