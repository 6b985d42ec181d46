using Billing.Notifications;

namespace Billing.Rules;

/// <summary>Rules of adding funds (M1) that decide on a request, free of Orleans so they are unit-tested directly.</summary>
public static class PurchaseRules
{
    /// <summary>
    /// Whether a request that names an existing payment id is a retry of the request that made it (answered with that
    /// payment) rather than another request reusing the id (refused). What the retry left out was chosen the first time
    /// (<see cref="PaymentRules.ChooseMethod"/>): only what it names must match.
    /// </summary>
    public static bool IsSameRequest(decimal earlierAmountUsd, PaymentMethodKind earlierMethod, string? earlierMethodId, decimal amountUsd, PaymentMethodKind? method, string? methodId) =>
        earlierAmountUsd == amountUsd
        && (method is not { } asked || earlierMethod == asked)
        && (methodId is null || earlierMethodId == methodId);
}
