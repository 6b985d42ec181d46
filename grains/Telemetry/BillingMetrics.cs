using System.Diagnostics.Metrics;

namespace Billing.Telemetry;

/// <summary>
/// The <c>Billing</c> meter: what an operator watches to know the business is running (decisions per second,
/// denials, charges, payment outcomes, the email backlog, the cost of durable writes). One singleton per silo,
/// created through <see cref="IMeterFactory"/> so that tests read it with a <c>MetricCollector</c> and hosts export
/// it with OpenTelemetry. Recording costs a few nanoseconds when nothing listens, so the hot path records freely.
/// </summary>
public sealed class BillingMetrics
{
    public const string MeterName = "Billing";

    private readonly Counter<long> _decisions;
    private readonly Counter<long> _sessionsOpened;
    private readonly Counter<double> _charged;
    private readonly Counter<long> _reloads;
    private readonly Counter<long> _payments;
    private readonly Counter<long> _emails;
    private readonly UpDownCounter<long> _emailsPending;
    private readonly Histogram<int> _commitBatchSize;
    private readonly Histogram<double> _commitDuration;

    public BillingMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _decisions = meter.CreateCounter<long>("billing.decisions", "{decision}", "Per-message metering decisions, by outcome and denial reason.");
        _sessionsOpened = meter.CreateCounter<long>("billing.sessions.opened", "{session}", "Billing sessions opened (each is charged once, B2).");
        _charged = meter.CreateCounter<double>("billing.charged", "USD", "Amounts charged to balances, by account (paid or free).");
        _reloads = meter.CreateCounter<long>("billing.reloads", "{reload}", "Auto-reload attempts, by outcome.");
        _payments = meter.CreateCounter<long>("billing.payments", "{payment}", "Payments (purchases, reloads, renewals), by method and outcome.");
        _emails = meter.CreateCounter<long>("billing.emails", "{email}", "Emails leaving the outbox, by outcome (sent, failed, dead_lettered, unconfirmed).");
        _emailsPending = meter.CreateUpDownCounter<long>("billing.emails.pending", "{email}", "Emails queued in the outbox and not yet sent or dead-lettered.");
        _commitBatchSize = meter.CreateHistogram<int>("billing.group_commit.batch_size", "{item}", "Items written by one group commit.");
        _commitDuration = meter.CreateHistogram<double>("billing.group_commit.duration", "ms", "Time one group commit's storage write took.");
    }

    /// <param name="reason">The denial reason, or null when allowed.</param>
    public void Decision(bool allowed, string? reason) =>
        _decisions.Add(1, new KeyValuePair<string, object?>("outcome", allowed ? "allowed" : "denied"), new KeyValuePair<string, object?>("reason", reason ?? "none"));

    public void SessionOpened(string channelClass) =>
        _sessionsOpened.Add(1, new KeyValuePair<string, object?>("channel_class", channelClass));

    /// <param name="account">"paid" or "free".</param>
    public void Charged(string account, decimal amountUsd)
    {
        if (amountUsd != 0)
            _charged.Add((double)amountUsd, new KeyValuePair<string, object?>("account", account));
    }

    /// <param name="outcome">"succeeded", "failed" or "pending".</param>
    public void Reload(string outcome) =>
        _reloads.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <param name="method">"Card", "PayPal", "WireTransfer".</param>
    /// <param name="outcome">"succeeded", "failed", "pending", "requires_otp", "abandoned" (its OTP never came).</param>
    public void Payment(string method, string outcome) =>
        _payments.Add(1, new KeyValuePair<string, object?>("method", method), new KeyValuePair<string, object?>("outcome", outcome));

    /// <param name="outcome">"sent", "failed" (will be retried), "dead_lettered" or "unconfirmed" (a send interrupted after the hand-over).</param>
    public void Email(string outcome) =>
        _emails.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Messages entered (+n) or left (-n) the pending state of the outbox.</summary>
    public void EmailsPending(long delta) => _emailsPending.Add(delta);

    /// <param name="log">Which writer committed: "usage", "ledger", "journal", ...</param>
    public void GroupCommit(string log, int items, TimeSpan duration)
    {
        var tag = new KeyValuePair<string, object?>("log", log);
        _commitBatchSize.Record(items, tag);
        _commitDuration.Record(duration.TotalMilliseconds, tag);
    }
}
