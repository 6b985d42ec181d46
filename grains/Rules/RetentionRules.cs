namespace Billing.Rules;

/// <summary>When a kept record may go (docs/payments.md, "Retention"), free of Orleans so it is unit-tested directly.</summary>
public static class RetentionRules
{
    /// <summary>
    /// A record last used at <paramref name="lastUsedAt"/> may be deleted once its retention has passed in full: a key
    /// used again (a replay) is kept for a whole retention after that use.
    /// </summary>
    public static bool Expired(DateTimeOffset lastUsedAt, DateTimeOffset now, TimeSpan retention) => now - lastUsedAt >= retention;

    /// <summary>The instant before which records of this retention are candidates: a query bound, checked again per row.</summary>
    public static DateTimeOffset Cutoff(DateTimeOffset now, TimeSpan retention) => now - retention;

    /// <summary>The last use of an idempotency key: its replay time when it was replayed, else when its request started or answered.</summary>
    public static DateTimeOffset LastUse(DateTimeOffset startedAt, DateTimeOffset? lastUsedAt) =>
        lastUsedAt is { } used && used > startedAt ? used : startedAt;
}
