namespace Billing.Ledgers;

/// <summary>A change asked of a ledger. <see cref="IdempotencyKey"/> makes a retried posting a replay, not a second change.</summary>
public sealed record Posting(
    LedgerEntryKind Kind,
    decimal AmountUsd,
    DateTimeOffset At,
    string Cause,
    string? Reason = null,
    string? IdempotencyKey = null,
    string? Reference = null);

public enum PostingStatus
{
    /// <summary>Appended now.</summary>
    Applied = 0,

    /// <summary>The idempotency key was posted before: <see cref="PostingResult.Entry"/> is that first entry.</summary>
    Replayed = 1,

    /// <summary>It would take the balance below zero (C6); nothing was written.</summary>
    Insufficient = 2,
}

public sealed record PostingResult(PostingStatus Status, LedgerEntry? Entry);
