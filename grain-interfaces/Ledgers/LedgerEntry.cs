namespace Billing.Ledgers;

/// <summary>C7: every kind of balance change.</summary>
public enum LedgerEntryKind
{
    Grant = 0,
    Purchase = 1,
    Reload = 2,
    Charge = 3,
    Expiry = 4,
    Refund = 5,
    Adjustment = 6,

    /// <summary>Free credits moved from the workspace pool to an app's free-credit lease (negative in the pool, positive in the app).</summary>
    Lease = 7,
}

/// <summary>
/// One append-only ledger line (C7) of one balance (<see cref="Account"/>, e.g. an app's <c>paid</c> wallet or its
/// <c>free</c> credits). <see cref="AmountUsd"/> is signed (charges and expiries negative);
/// <see cref="BalanceAfterUsd"/> is the running sum of the ledger up to and including this line.
/// </summary>
[GenerateSerializer, Immutable, Alias("billing.ledgers.entry")]
public sealed record LedgerEntry(
    [property: Id(0)] long Seq,
    [property: Id(1)] LedgerEntryKind Kind,
    [property: Id(2)] decimal AmountUsd,
    [property: Id(3)] decimal BalanceAfterUsd,
    [property: Id(4)] DateTimeOffset At,
    [property: Id(5)] string Cause,
    [property: Id(6)] string? Reason,
    [property: Id(7)] string? IdempotencyKey,
    [property: Id(8)] string? Reference,
    [property: Id(9)] string Account);

[GenerateSerializer, Immutable, Alias("billing.ledgers.page")]
public sealed record LedgerPage(
    [property: Id(0)] IReadOnlyList<LedgerEntry> Entries,
    [property: Id(1)] long? NextAfterSeq);
