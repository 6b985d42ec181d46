using Billing.Workspaces;

namespace Billing.Rules;

/// <summary>How one charge is paid: from the paid wallet and from the free pool. Both zero when not covered.</summary>
public readonly record struct ChargeSplit(decimal FromPaid, decimal FromFree)
{
    public decimal Total => FromPaid + FromFree;
}

public static class ConsumptionRules
{
    /// <summary>
    /// C4, C5, C6: splits <paramref name="amount"/> across the two balances in the workspace's order, or returns
    /// null when together they cannot cover it (nothing is taken then: balances never go negative).
    /// </summary>
    public static ChargeSplit? Split(decimal amount, decimal paidAvailable, decimal freeAvailable, ConsumptionOrder order)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        paidAvailable = Math.Max(0m, paidAvailable);
        freeAvailable = Math.Max(0m, freeAvailable);
        if (paidAvailable + freeAvailable < amount)
            return null;

        if (order == ConsumptionOrder.PaidFirst)
        {
            var fromPaid = Math.Min(amount, paidAvailable);
            return new ChargeSplit(fromPaid, amount - fromPaid);
        }

        var fromFree = Math.Min(amount, freeAvailable);
        return new ChargeSplit(amount - fromFree, fromFree);
    }
}
