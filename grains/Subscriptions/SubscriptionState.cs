using Billing.Notifications;

namespace Billing.Subscriptions;

[GenerateSerializer, Alias("billing.subscriptions.state")]
public sealed class SubscriptionState
{
    [Id(0)] public SubscriptionStatus Status { get; set; }
    [Id(1)] public SubscriptionPlan? Plan { get; set; }
    [Id(2)] public BillingPeriod? Period { get; set; }
    [Id(3)] public decimal PriceUsd { get; set; }
    [Id(4)] public DateTimeOffset? ActivatedAt { get; set; }

    /// <summary>Periods are counted from this instant (the activation, or the renewal that changed the period).</summary>
    [Id(5)] public DateTimeOffset? Anchor { get; set; }

    [Id(6)] public int PeriodIndex { get; set; }
    [Id(7)] public DateTimeOffset? CurrentPeriodStart { get; set; }

    /// <summary>P4: the persisted due date that decides the renewal; a reminder tick only wakes the grain.</summary>
    [Id(8)] public DateTimeOffset? RenewalDueAt { get; set; }

    /// <summary>P3: a downgrade or period change waiting for the renewal.</summary>
    [Id(9)] public SubscriptionPlan? PendingPlan { get; set; }

    [Id(10)] public BillingPeriod? PendingPeriod { get; set; }
    [Id(11)] public int FailedAttempts { get; set; }
    [Id(12)] public DateTimeOffset? NextRetryAt { get; set; }
    [Id(13)] public string? PaymentMethodId { get; set; }

    /// <summary>P4: the renewal whose notice went out (its due date), so a doubled tick sends none.</summary>
    [Id(14)] public DateTimeOffset? NoticeSentFor { get; set; }

    [Id(15)] public List<string> InvoiceNumbers { get; set; } = [];

    /// <summary>Orders already applied: a retried order answers the subscription as it is.</summary>
    [Id(16)] public HashSet<string> AppliedOrders { get; set; } = new(StringComparer.Ordinal);

    /// <summary>A charge asked of the gateway and not yet recorded: finished with the same key after a crash.</summary>
    [Id(17)] public PendingCharge? Pending { get; set; }

    [Id(18)] public int ChangeCount { get; set; }
    [Id(19)] public DateTimeOffset? CancelledAt { get; set; }
}

public enum ChargePurpose
{
    NewSubscription = 0,
    Upgrade = 1,
    Renewal = 2,
}

[GenerateSerializer, Alias("billing.subscriptions.pending-charge")]
public sealed class PendingCharge
{
    [Id(0)] public string Key { get; set; } = "";
    [Id(1)] public ChargePurpose Purpose { get; set; }
    [Id(2)] public decimal AmountUsd { get; set; }
    [Id(3)] public SubscriptionPlan Plan { get; set; }
    [Id(4)] public BillingPeriod Period { get; set; }
    [Id(5)] public string PaymentMethodId { get; set; } = "";
    [Id(6)] public string? OrderId { get; set; }

    /// <summary>The renewal's due date, for a renewal charge.</summary>
    [Id(7)] public DateTimeOffset? DueAt { get; set; }
}
