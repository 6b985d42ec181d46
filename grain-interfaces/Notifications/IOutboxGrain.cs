using Orleans.Concurrency;

namespace Billing.Notifications;

/// <summary>
/// One shard of the durable email outbox (E2, E3), keyed by its shard number (0 to <see cref="OutboxShards.Count"/> - 1).
/// Accepted events are rows in the <c>Outbox</c> table; the shard turns each into one message per template and
/// recipient, sends the due ones, retries failures with back-off and dead-letters after the last attempt. A
/// reminder wakes it while it has work; the persisted due dates decide what is done.
/// </summary>
public interface IOutboxGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Tells the shard that an event was accepted: makes sure its reminder exists and schedules a delivery pass soon.
    /// Returns without waiting for the pass, so a producer is never held up by a mail server.
    /// </summary>
    [AlwaysInterleave]
    Task Wake();

    /// <summary>Runs one delivery pass now: expands accepted events, sends what is due. Answers how many emails were sent.</summary>
    Task<int> Deliver();

    /// <summary>The shard's messages in <paramref name="status"/>, newest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<OutboxMessageView>> List(OutboxStatus status, int limit);

    /// <summary>
    /// E3: an operator sends a dead or unconfirmed message again (after fixing its cause, e.g. the user's address, or after
    /// the recipient said it never arrived): it becomes pending with a fresh attempt budget and is delivered in the next
    /// pass. Conflict when it is pending or sent, not found when unknown.
    /// </summary>
    Task<OutboxMessageView> Retry(string messageId);
}
