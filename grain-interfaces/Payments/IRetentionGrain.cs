namespace Billing.Payments;

/// <summary>
/// Purges what the product keeps only for a while (docs/payments.md, "Retention"): idempotency keys, webhook event ids
/// and sent emails of the outbox. One for the service (key 0), woken by a reminder every <c>Retention:SweepInterval</c>;
/// each tick deletes at most <c>Retention:BatchSize</c> rows of each kind, so a backlog is worked off over several
/// ticks and never makes one tick long.
/// </summary>
public interface IRetentionGrain : IGrainWithIntegerKey
{
    /// <summary>Arms the sweep reminder (the silo calls it when it starts; calling it again changes nothing).</summary>
    Task Start();

    /// <summary>One sweep now, as a reminder tick runs it: what it deleted of each kind.</summary>
    Task<RetentionSweep> Sweep();
}

/// <summary>What one sweep deleted.</summary>
[GenerateSerializer, Immutable, Alias("billing.payments.retention-sweep")]
public sealed record RetentionSweep(
    [property: Id(0)] int IdempotencyKeys,
    [property: Id(1)] int WebhookEvents,
    [property: Id(2)] int SentEmails,
    [property: Id(3)] int OutboxEvents);

/// <summary>
/// The tables the API writes and the silo's retention sweep purges: their names and the properties the sweep reads, in
/// one place for both sides.
/// </summary>
public static class RetainedTables
{
    /// <summary>API <c>Idempotency-Key</c> records: partition = caller, row = key.</summary>
    public const string Idempotency = "Idempotency";

    /// <summary>Gateway webhook event ids already applied: partition <see cref="WebhookPartition"/>, row = event id.</summary>
    public const string WebhookEvents = "WebhookEvents";

    public const string WebhookPartition = "events";

    /// <summary>When the key's request started (or last answered); set on every row.</summary>
    public const string StartedAt = "StartedAt";

    /// <summary>When the key was last used, a replay included: the sweep keeps a key for its retention after this.</summary>
    public const string LastUsedAt = "LastUsedAt";

    /// <summary>When a webhook event was received and applied.</summary>
    public const string ReceivedAt = "ReceivedAt";
}
