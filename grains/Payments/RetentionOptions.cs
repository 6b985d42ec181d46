namespace Billing.Payments;

/// <summary>How long kept records live before the retention sweep deletes them (section <c>Retention</c>), validated at start-up.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>
    /// An <c>Idempotency-Key</c> is kept this long after its last use (a replay counts as a use): at least 24 hours, so a
    /// client retrying within a day always gets the first answer. After it, the same key runs the request again, which
    /// still moves no money twice: a payment's id comes from the key and the payment's row is kept for good.
    /// </summary>
    public TimeSpan IdempotencyKeys { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long the payment gateway keeps redelivering a webhook event (the sandbox's and common gateways' 3 days).</summary>
    public TimeSpan GatewayRetryHorizon { get; set; } = TimeSpan.FromDays(3);

    /// <summary>A webhook event id is kept this long after it was applied; longer than <see cref="GatewayRetryHorizon"/>.</summary>
    public TimeSpan WebhookEvents { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// A sent email (and, once all its emails are gone, its event) is kept this long after it was sent. The event row is
    /// also what recognises a billing event raised again (E2), so this is far longer than any producer's replay.
    /// </summary>
    public TimeSpan SentEmails { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the sweep runs.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>At most this many rows of each kind are deleted per sweep, so one sweep stays short whatever the backlog.</summary>
    public int BatchSize { get; set; } = 500;

    public IEnumerable<string> Problems()
    {
        if (IdempotencyKeys < TimeSpan.FromHours(24))
            yield return $"{Section}:IdempotencyKeys must be at least 1.00:00:00 (24 hours after a key's last use; is {IdempotencyKeys}).";
        if (GatewayRetryHorizon <= TimeSpan.Zero)
            yield return $"{Section}:GatewayRetryHorizon must be positive (is {GatewayRetryHorizon}).";
        if (WebhookEvents <= GatewayRetryHorizon)
            yield return $"{Section}:WebhookEvents must be longer than {Section}:GatewayRetryHorizon ({GatewayRetryHorizon}), or a redelivered event would be applied as new (is {WebhookEvents}).";
        if (SentEmails < TimeSpan.FromDays(1))
            yield return $"{Section}:SentEmails must be at least 1.00:00:00 (is {SentEmails}).";
        if (SweepInterval < TimeSpan.FromMinutes(1) || SweepInterval > TimeSpan.FromDays(1))
            yield return $"{Section}:SweepInterval must be between 00:01:00 and 1.00:00:00 (is {SweepInterval}).";
        if (BatchSize is < 1 or > 10_000)
            yield return $"{Section}:BatchSize must be between 1 and 10000 (is {BatchSize}).";
    }
}
