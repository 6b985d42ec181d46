using Billing.Apps;
using Billing.Rules;
using Billing.Workspaces;

namespace Billing.Tests.Rules;

public sealed class ConsumptionRulesTests
{
    [Fact]
    public void Paid_first_takes_the_paid_balance_then_free_credits_C4() =>
        Assert.Equal(new ChargeSplit(0.05m, 0.15m), ConsumptionRules.Split(0.20m, 0.05m, 10m, ConsumptionOrder.PaidFirst));

    [Fact]
    public void Free_first_takes_free_credits_then_the_paid_balance_C4() =>
        Assert.Equal(new ChargeSplit(0.12m, 0.08m), ConsumptionRules.Split(0.20m, 10m, 0.08m, ConsumptionOrder.FreeFirst));

    [Theory]
    [InlineData(ConsumptionOrder.PaidFirst)]
    [InlineData(ConsumptionOrder.FreeFirst)]
    public void A_charge_neither_balance_covers_is_refused_whole_C5_C6(ConsumptionOrder order) =>
        Assert.Null(ConsumptionRules.Split(0.20m, 0.10m, 0.09m, order));

    [Fact]
    public void Exactly_enough_is_enough_C6() =>
        Assert.Equal(new ChargeSplit(0.10m, 0.10m), ConsumptionRules.Split(0.20m, 0.10m, 0.10m, ConsumptionOrder.PaidFirst));

    [Fact]
    public void Rate_card_defaults_to_20_cents_and_reads_overrides_B7()
    {
        var card = new RateCard { SessionPricesUsd = { [UsagePlan.Advanced] = new() { [Billing.Metering.ChannelClass.Voice] = 0.35m } } };

        Assert.Equal(0.20m, card.SessionPrice(UsagePlan.Standard, Billing.Metering.ChannelClass.Chat));
        Assert.Equal(0.35m, card.SessionPrice(UsagePlan.Advanced, Billing.Metering.ChannelClass.Voice));
    }
}
