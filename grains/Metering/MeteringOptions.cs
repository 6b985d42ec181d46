using Billing.Apps;
using Billing.Rules;

namespace Billing.Metering;

/// <summary>Metering settings (section <c>Metering</c>), validated when the silo starts.</summary>
public sealed class MeteringOptions
{
    public const string Section = "Metering";

    /// <summary>B1: a gap at least this long ends a conversation. Between 1 minute and 24 hours.</summary>
    public TimeSpan IdleTimeout { get; set; } = BillingSessionRules.DefaultIdleTimeout;

    /// <summary>
    /// B4: how long after its timestamp a message id is still recognised as a retry once the grains that saw it
    /// have started over (after a crash); messages older than this are refused as stale. At least the idle timeout.
    /// </summary>
    public TimeSpan RetryWindow { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How far ahead of the silo's clock a message timestamp may be (adapters' clocks drift).</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How much free credit an app draws from its workspace's pool at a time (C1, see docs/metering.md).</summary>
    public decimal FreeCreditDrawUsd { get; set; } = 5m;

    /// <summary>
    /// How long the first record or posting of a batch waits for others before the batch is written (group commit).
    /// Trades a few milliseconds of latency for far fewer storage transactions under load. 0 to 100 ms.
    /// </summary>
    public TimeSpan GroupCommitWindow { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// How often the silo journal's committed entries are filed into the usage partitions (exports, trends, caps read
    /// them there). A pass takes everything committed since the last, so the delay before a record appears in exports is
    /// about this plus one pass's write time. 50 ms to 1 minute.
    /// </summary>
    public TimeSpan FilingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Usage chunks (of up to 60 KB) per filing transaction, 1 to 40. Storage handles a transaction at a time per
    /// partition server (Azurite: per process), so the journal's commits, which every decision waits on, queue behind a
    /// large one: smaller filing writes keep that wait short at the price of more transactions. 4 (240 KB) measured a
    /// paced p99 of 97 ms against 147 ms with 40 (docs/benchmarks.md).
    /// </summary>
    public int FilingTransactionChunks { get; set; } = Billing.Journal.FilingLimits.Default.TransactionChunks;

    /// <summary>Partitions a filing pass writes at once, 1 to 64: overlaps round trips, and competes with the journal's commits.</summary>
    public int FilingParallelism { get; set; } = Billing.Journal.FilingLimits.Default.Parallelism;

    /// <summary>B7: session prices per plan and channel class.</summary>
    public RateCard RateCard { get; set; } = new();

    /// <summary>B8: allowed requests per calendar month by plan; a plan without an entry has no cap.</summary>
    public Dictionary<UsagePlan, long> AllowedRequestsPerMonth { get; set; } = [];

    public IEnumerable<string> Problems()
    {
        if (IdleTimeout < TimeSpan.FromMinutes(1) || IdleTimeout > TimeSpan.FromHours(24))
            yield return $"{Section}:IdleTimeout must be between 00:01:00 and 24:00:00 (is {IdleTimeout}).";
        if (RetryWindow < IdleTimeout || RetryWindow > TimeSpan.FromHours(24))
            yield return $"{Section}:RetryWindow must be at least the idle timeout and at most 24 hours (is {RetryWindow}).";
        if (MaxClockSkew < TimeSpan.Zero || MaxClockSkew > TimeSpan.FromHours(1))
            yield return $"{Section}:MaxClockSkew must be between 0 and 1 hour (is {MaxClockSkew}).";
        if (GroupCommitWindow < TimeSpan.Zero || GroupCommitWindow > TimeSpan.FromMilliseconds(100))
            yield return $"{Section}:GroupCommitWindow must be between 0 and 100 ms (is {GroupCommitWindow}).";
        if (FilingInterval < TimeSpan.FromMilliseconds(50) || FilingInterval > TimeSpan.FromMinutes(1))
            yield return $"{Section}:FilingInterval must be between 50 ms and 1 minute (is {FilingInterval}).";
        if (FilingTransactionChunks is < 1 or > 40)
            yield return $"{Section}:FilingTransactionChunks must be between 1 and 40 (is {FilingTransactionChunks}).";
        if (FilingParallelism is < 1 or > 64)
            yield return $"{Section}:FilingParallelism must be between 1 and 64 (is {FilingParallelism}).";
        if (FreeCreditDrawUsd <= 0m)
            yield return $"{Section}:FreeCreditDrawUsd must be positive (is {FreeCreditDrawUsd}).";
        foreach (var (plan, byClass) in RateCard.SessionPricesUsd)
        {
            foreach (var (channelClass, price) in byClass)
            {
                if (price < 0m)
                    yield return $"{Section}:RateCard:SessionPricesUsd:{plan}:{channelClass} must not be negative.";
            }
        }

        foreach (var (plan, cap) in AllowedRequestsPerMonth)
        {
            if (cap < 0)
                yield return $"{Section}:AllowedRequestsPerMonth:{plan} must not be negative.";
        }
    }
}
