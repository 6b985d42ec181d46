using Billing.Apps;
using Billing.Metering;

namespace Billing.Rules;

/// <summary>
/// B7: the price of one billing session per plan and channel class, from configuration
/// (<c>Metering:RateCard:SessionPricesUsd:{Plan}:{ChannelClass}</c>). Defaults: $0.20 per session on every plan
/// and class (the platform's public Standard price).
/// </summary>
public sealed class RateCard
{
    public const decimal DefaultSessionPriceUsd = 0.20m;

    /// <summary>Prices by plan, then channel class; missing entries fall back to <see cref="DefaultSessionPriceUsd"/>.</summary>
    public Dictionary<UsagePlan, Dictionary<ChannelClass, decimal>> SessionPricesUsd { get; set; } = [];

    public decimal SessionPrice(UsagePlan plan, ChannelClass channelClass) =>
        SessionPricesUsd.TryGetValue(plan, out var byClass) && byClass.TryGetValue(channelClass, out var price) ? price : DefaultSessionPriceUsd;
}
