namespace Billing.Usage;

/// <summary>
/// The usage log of one app on one UTC day (key <see cref="UsageLogKey"/>): the single writer of that day's
/// partition of the <c>Usage</c> table. Records are group-committed, many to a row, so a busy app costs a few
/// large writes rather than one per message; a record is acknowledged only once it is stored.
/// </summary>
public interface IUsageLogGrain : IGrainWithStringKey
{
    /// <summary>Stores <paramref name="record"/> unless its message id is already recorded (B4) or the plan's request cap is reached (B8).</summary>
    Task<RecordResult> Record(UsageRecord record);

    /// <summary>The latest record and recent records of one end user on this day, or null when there are none in the recovery window.</summary>
    Task<UserCursor?> GetCursor(string channel, string channelUserId);

    Task<UsageDayTotals> GetTotals();
}
