namespace Billing.Subscriptions;

/// <summary>
/// One app's usage or support subscription (keyed by <see cref="SubscriptionKeys.For"/>), P1-P5: purchase, modify,
/// renewal notice five days ahead, renewal on the due date, dunning then lapse, cancellation at the end of the period.
/// A reminder only wakes it; the persisted due dates decide, so a missed or doubled tick changes nothing.
/// </summary>
public interface ISubscriptionGrain : IGrainWithStringKey
{
    /// <summary>P3: buys the plan (charged at once, invoiced) or, on an active subscription, modifies it (docs/payments.md: upgrades prorated now, downgrades at renewal). Idempotent on the order id.</summary>
    Task<SubscriptionView> Subscribe(SubscriptionOrder order);

    /// <summary>P5: stops renewal; service runs to the end of the paid period.</summary>
    Task<SubscriptionView> Cancel(string userId);

    Task<SubscriptionView> Get();

    /// <summary>P4: what a reminder tick does at the workspace's (test-clock) time: notice, renewal, dunning, lapse, end.</summary>
    Task RunDue();
}
