using Orleans.Serialization;

namespace Billing.Notifications;

/// <summary>
/// The production <see cref="IBillingEventSink"/>: accepting an event is one insert into its outbox shard's partition
/// and a wake-up of that shard. A producer's turn never waits for a mail server; when <see cref="Publish"/> returns,
/// the event is durable and its shard has a reminder, so the email follows even if this silo dies right away (E3).
/// </summary>
public sealed class OutboxBillingEventSink(OutboxTable table, Serializer serializer, IGrainFactory grains, BillingClock clock) : IBillingEventSink
{
    /// <summary>Event ids become table keys (escaped); producers derive them from a few ids.</summary>
    public const int MaxEventIdLength = 400;

    public async Task Publish(BillingEvent billingEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(billingEvent);
        if (string.IsNullOrWhiteSpace(billingEvent.EventId) || billingEvent.EventId.Length > MaxEventIdLength)
            throw new ArgumentException($"A billing event id is 1 to {MaxEventIdLength} characters (got '{billingEvent.EventId}').", nameof(billingEvent));

        var shard = OutboxShards.OfEvent(billingEvent.EventId);
        // E2: a second insert of the same id is refused by the table; the first copy is the one that is mailed.
        await table.TryAddEventAsync(shard, billingEvent, serializer.SerializeToArray(billingEvent), clock.UtcNow, cancellationToken);
        // Woken also for a repeated event: its producer may be retrying because the first wake-up never happened.
        await grains.GetGrain<IOutboxGrain>(shard).Wake();
    }
}
