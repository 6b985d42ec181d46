using Billing.Notifications;

namespace Billing.Rules;

/// <summary>Subscription rules (P2-P5), free of Orleans so they are unit-tested directly. Decisions: docs/payments.md.</summary>
public static class SubscriptionRules
{
    /// <summary>P4: the auto-renewal notice goes five days before the renewal date.</summary>
    public static readonly TimeSpan RenewalNoticeLead = TimeSpan.FromDays(5);

    /// <summary>
    /// The end of period number <paramref name="periodIndex"/> (0 = the first) counted from <paramref name="anchor"/>, by its day of month, so that a
    /// subscription started on the 31st renews on the last day of shorter months and returns to the 31st after them.
    /// </summary>
    public static DateTimeOffset PeriodEnd(DateTimeOffset anchor, int periodIndex, BillingPeriod period) =>
        period == BillingPeriod.Monthly ? anchor.AddMonths(periodIndex + 1) : anchor.AddYears(periodIndex + 1);

    public static DateTimeOffset RenewalNoticeAt(DateTimeOffset renewalDueAt) => renewalDueAt - RenewalNoticeLead;

    /// <summary>
    /// P3: an upgrade's charge now: the price difference for the part of the current period still to run, rounded to
    /// cents (half away from zero). Never negative: a cheaper plan waits for the renewal instead of refunding.
    /// </summary>
    public static decimal ProratedUpgradeUsd(decimal oldPriceUsd, decimal newPriceUsd, DateTimeOffset periodStart, DateTimeOffset periodEnd, DateTimeOffset now)
    {
        if (newPriceUsd <= oldPriceUsd || now >= periodEnd)
            return 0m;
        var total = (decimal)(periodEnd - periodStart).Ticks;
        var left = (decimal)(periodEnd - (now < periodStart ? periodStart : now)).Ticks;
        return decimal.Round((newPriceUsd - oldPriceUsd) * left / total, 2, MidpointRounding.AwayFromZero);
    }

    /// <summary>P3: an upgrade (a dearer plan, same period) applies now; anything else (cheaper, or another period) at renewal.</summary>
    public static bool AppliesNow(decimal oldPriceUsd, decimal newPriceUsd, BillingPeriod oldPeriod, BillingPeriod newPeriod) =>
        oldPeriod == newPeriod && newPriceUsd > oldPriceUsd;

    /// <summary>P4 dunning: when the renewal that failed <paramref name="failedAttempts"/> times is retried, or null: lapse.</summary>
    public static DateTimeOffset? NextDunningAttempt(DateTimeOffset dueAt, int failedAttempts, IReadOnlyList<TimeSpan> schedule) =>
        failedAttempts >= 1 && failedAttempts <= schedule.Count ? dueAt + schedule[failedAttempts - 1] : null;
}
