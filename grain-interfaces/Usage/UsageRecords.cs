using Billing.Metering;

namespace Billing.Usage;

/// <summary>
/// One metered message, durably recorded with the fields of the CSV export (U2) and how it was billed.
/// <see cref="BillingSessionEnd"/> is the end of the 15-minute slice; <see cref="ConversationLastAt"/> is the
/// conversation's latest message at the time of this one (so the last row of a conversation carries its end).
/// </summary>
[GenerateSerializer, Immutable, Alias("billing.usage.record")]
public sealed record UsageRecord(
    [property: Id(0)] string MessageId,
    [property: Id(1)] string AppId,
    [property: Id(2)] string Channel,
    [property: Id(3)] ChannelClass ChannelClass,
    [property: Id(4)] string PlatformUserId,
    [property: Id(5)] string ChannelUserId,
    [property: Id(6)] MessageKind Kind,
    [property: Id(7)] DateTimeOffset At,
    [property: Id(8)] string ConversationId,
    [property: Id(9)] DateTimeOffset ConversationStart,
    [property: Id(10)] DateTimeOffset ConversationLastAt,
    [property: Id(11)] string BillingSessionId,
    [property: Id(12)] long SliceIndex,
    [property: Id(13)] DateTimeOffset BillingSessionStart,
    [property: Id(14)] DateTimeOffset BillingSessionEnd,
    [property: Id(15)] bool OpenedBillingSession,
    [property: Id(16)] decimal ChargedUsd,
    [property: Id(17)] decimal PaidUsd,
    [property: Id(18)] decimal FreeUsd);

public enum RecordOutcome
{
    /// <summary>Stored now.</summary>
    Recorded = 0,

    /// <summary>The message id was recorded before (B4): <see cref="RecordResult.Existing"/> is the first record.</summary>
    Duplicate = 1,

    /// <summary>B8: the plan's allowed requests for the month are used up; nothing was stored.</summary>
    RequestLimit = 2,
}

[GenerateSerializer, Immutable, Alias("billing.usage.record-result")]
public sealed record RecordResult(
    [property: Id(0)] RecordOutcome Outcome,
    [property: Id(1)] UsageRecord? Existing);

/// <summary>Where one end user's conversation stands, as the usage log knows it (for a billing-session grain that starts over).</summary>
[GenerateSerializer, Immutable, Alias("billing.usage.cursor")]
public sealed record UserCursor(
    [property: Id(0)] UsageRecord Last,
    [property: Id(1)] IReadOnlyList<UsageRecord> Recent);

/// <summary>U1: one app's usage on one UTC day.</summary>
[GenerateSerializer, Immutable, Alias("billing.usage.day-totals")]
public sealed record UsageDayTotals(
    [property: Id(0)] string AppId,
    [property: Id(1)] DateOnly Day,
    [property: Id(2)] long Requests,
    [property: Id(3)] long BillingSessions,
    [property: Id(4)] long ChatSessions,
    [property: Id(5)] long VoiceSessions,
    [property: Id(6)] decimal ChargedUsd);

public static class UsageLogKey
{
    public static string For(string appId, DateOnly day) => $"{appId}|{day:yyyyMMdd}";

    public static string For(string appId, DateTimeOffset at) => For(appId, DateOnly.FromDateTime(at.UtcDateTime));

    public static (string AppId, DateOnly Day) Parse(string key)
    {
        var bar = key.LastIndexOf('|');
        return (key[..bar], DateOnly.ParseExact(key[(bar + 1)..], "yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture));
    }
}
