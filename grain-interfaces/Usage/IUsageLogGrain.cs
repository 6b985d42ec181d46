namespace Billing.Usage;

/// <summary>
/// The usage of one app on one UTC day (key <see cref="UsageLogKey"/>): where a billing-session grain that starts over
/// finds its end user's latest records, and where the request cap of a capped plan is counted (B8). Records become
/// durable in the silo journal and are filed into that day's partition of the <c>Usage</c> table in the background.
/// </summary>
public interface IUsageLogGrain : IGrainWithStringKey
{
    /// <summary>
    /// Makes <paramref name="record"/> durable (in this grain's silo journal) unless its message id is among its end user's
    /// recent records (B4) or the plan's request cap is reached (B8).
    /// </summary>
    Task<RecordResult> Record(UsageRecord record);

    /// <summary>The latest record and recent records of one end user on this day, or null when there are none in the recovery window.</summary>
    Task<UserCursor?> GetCursor(string channel, string channelUserId);

    /// <summary>
    /// Told by a silo's filer, after it filed them into this day's partition and before its filing pass counts as done,
    /// of the records it filed (again after a retried pass: indexing is idempotent by message id). So the grain's index
    /// holds every record filed since it loaded the partition, and a cursor costs no storage read.
    /// </summary>
    Task Filed(IReadOnlyList<UsageRecord> records);

    /// <summary>
    /// B4: the record of <paramref name="messageId"/> of one end user stored at or after <paramref name="at"/> (its
    /// timestamp), looked up in the filed partition once what this grain appended is filed; null when there is none.
    /// </summary>
    Task<UsageRecord?> Find(string channel, string channelUserId, string messageId, DateTimeOffset at);

    /// <summary>The day's totals as filed (a record appears in them after the filing delay, docs/metering.md).</summary>
    Task<UsageDayTotals> GetTotals();
}
