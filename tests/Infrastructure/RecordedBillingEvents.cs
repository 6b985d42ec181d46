using System.Collections.Concurrent;
using Billing.Notifications;

namespace Billing.Tests.Infrastructure;

/// <summary>
/// The billing events a test cluster's silos raised, in arrival order. It stands in for the notifications outbox
/// only in tests of the producers (payments, workspaces, metering), which check what they raise, not how it is mailed.
/// </summary>
public sealed class RecordedBillingEvents : IBillingEventSink
{
    private readonly ConcurrentQueue<BillingEvent> _events = new();

    public Task Publish(BillingEvent billingEvent, CancellationToken cancellationToken = default)
    {
        _events.Enqueue(billingEvent);
        return Task.CompletedTask;
    }

    public IReadOnlyList<BillingEvent> All => [.. _events];

    public IReadOnlyList<T> OfType<T>() where T : BillingEvent => [.. _events.OfType<T>()];
}
