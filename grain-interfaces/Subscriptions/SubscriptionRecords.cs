using Billing.Notifications;

namespace Billing.Subscriptions;

/// <summary>P1, P2: the plans a subscription can hold. Usage plans move the app's <see cref="Billing.Apps.UsagePlan"/>; support plans do not.</summary>
public enum SubscriptionPlan
{
    /// <summary>Usage plan (P1).</summary>
    Essential = 0,

    /// <summary>Usage plan (P1).</summary>
    Advanced = 1,

    /// <summary>Support plan included with every paid app, free (P2).</summary>
    Basic = 2,

    /// <summary>Support plan (P2).</summary>
    Enhanced = 3,

    /// <summary>Support plan (P2).</summary>
    EnterpriseSupport = 4,
}

public enum SubscriptionStatus
{
    None = 0,
    Active = 1,

    /// <summary>A renewal charge failed; dunning retries it (P4).</summary>
    PastDue = 2,

    /// <summary>Cancelled: runs to the end of the paid period, then ends (P5).</summary>
    Cancelling = 3,

    /// <summary>Ended at the end of a cancelled period.</summary>
    Ended = 4,

    /// <summary>Dunning exhausted: back to the free plan (P4).</summary>
    Lapsed = 5,
}

/// <summary>P3: subscribe to a plan (or modify the subscription) with a stored card or PayPal method.</summary>
[GenerateSerializer, Immutable, Alias("billing.subscriptions.order")]
public sealed record SubscriptionOrder(
    [property: Id(0)] string OrderId,
    [property: Id(1)] SubscriptionPlan Plan,
    [property: Id(2)] BillingPeriod Period,
    [property: Id(3)] string PaymentMethodId,
    [property: Id(4)] string UserId);

[GenerateSerializer, Immutable, Alias("billing.subscriptions.view")]
public sealed record SubscriptionView(
    [property: Id(0)] string SubscriptionId,
    [property: Id(1)] string AppId,
    [property: Id(2)] PlanKind Kind,
    [property: Id(3)] SubscriptionStatus Status,
    [property: Id(4)] SubscriptionPlan? Plan,
    [property: Id(5)] BillingPeriod? Period,
    [property: Id(6)] decimal PriceUsd,
    [property: Id(7)] DateTimeOffset? ActivatedAt,
    [property: Id(8)] DateTimeOffset? CurrentPeriodStart,
    [property: Id(9)] DateTimeOffset? RenewalDueAt,
    [property: Id(10)] SubscriptionPlan? PendingPlan,
    [property: Id(11)] BillingPeriod? PendingPeriod,
    [property: Id(12)] int FailedRenewalAttempts,
    [property: Id(13)] DateTimeOffset? NextRetryAt,
    [property: Id(14)] string? PaymentMethodId,
    [property: Id(15)] IReadOnlyList<string> InvoiceNumbers);

public static class SubscriptionKeys
{
    /// <summary>One subscription of each kind per app: <c>{appId}:usage</c> or <c>{appId}:support</c>.</summary>
    public static string For(string appId, PlanKind kind) => $"{appId}:{(kind == PlanKind.Usage ? "usage" : "support")}";

    public static PlanKind KindOf(SubscriptionPlan plan) => plan is SubscriptionPlan.Essential or SubscriptionPlan.Advanced ? PlanKind.Usage : PlanKind.Support;
}
