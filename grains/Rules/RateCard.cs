using Billing.Apps;
using Billing.Metering;

namespace Billing.Rules;

/// <summary>
/// B7: the price of one billing session per plan and channel class, from configuration (section <c>RateCard</c>).
/// Defaults: $0.20 per session on every plan and class (the platform's public Standard price).
/// </summary>
public sealed class RateCard
{
    public const string Section = "RateCard";

    public const decimal DefaultSessionPriceUsd = 0.20m;

    /// <summary>Prices keyed "Plan:ChannelClass" (e.g. "Standard:Voice"); missing entries fall back to <see cref="DefaultSessionPriceUsd"/>.</summary>
    public Dictionary<string, decimal> SessionPricesUsd { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public decimal SessionPrice(UsagePlan plan, ChannelClass channelClass) =>
        SessionPricesUsd.TryGetValue($"{plan}:{channelClass}", out var price) ? price : DefaultSessionPriceUsd;
}
