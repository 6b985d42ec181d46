namespace Billing.Rules;

/// <summary>Where a message falls in its conversation (B1).</summary>
public enum SliceOutcome
{
    /// <summary>The gap since the last message reached the idle timeout (or there was none): a new conversation and its first slice.</summary>
    NewConversation = 0,

    /// <summary>Same conversation, but a 15-minute slice that has no message yet: a new billing session.</summary>
    NewSlice = 1,

    /// <summary>Inside the billing session already open: no charge.</summary>
    SameSlice = 2,
}

/// <summary>
/// B1: a conversation is a run of messages whose gaps are shorter than the idle timeout; its billing sessions
/// are the 15-minute slices counted from its first message, each slice holding a message being one session.
/// </summary>
public static class BillingSessionRules
{
    public static readonly TimeSpan SliceLength = TimeSpan.FromMinutes(15);

    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(15);

    /// <summary>The slice (0-based) of a conversation started at <paramref name="conversationStart"/> that holds <paramref name="at"/>.</summary>
    public static long SliceIndex(DateTimeOffset conversationStart, DateTimeOffset at) =>
        at <= conversationStart ? 0 : (at - conversationStart).Ticks / SliceLength.Ticks;

    /// <summary>
    /// Classifies a message at <paramref name="at"/> given the conversation so far. A message older than the last
    /// one (late delivery) never opens anything: it belongs to the conversation and slice already open.
    /// </summary>
    public static SliceOutcome Classify(ConversationPosition? current, DateTimeOffset at, TimeSpan idleTimeout)
    {
        if (current is null)
            return SliceOutcome.NewConversation;
        if (at <= current.LastMessageAt)
            return SliceOutcome.SameSlice;
        if (at - current.LastMessageAt >= idleTimeout)
            return SliceOutcome.NewConversation;
        return SliceIndex(current.ConversationStart, at) > current.SliceIndex ? SliceOutcome.NewSlice : SliceOutcome.SameSlice;
    }

    /// <summary>
    /// B1, B4: the UTC days whose usage logs can hold where an end user's conversation stands when a message at
    /// <paramref name="at"/> is decided by a grain starting over: its own day, and the day before only within
    /// <paramref name="retryWindow"/> plus <paramref name="maxClockSkew"/> of midnight. Later, nothing of the day before
    /// matters: its last message is older than the idle timeout (at most the retry window), so the conversation is new
    /// either way, and a retry of one of its messages is refused as stale (the message is at most the skew ahead of the
    /// silo's clock, the retry at most the retry window behind it).
    /// </summary>
    public static IReadOnlyList<DateOnly> CursorDays(DateTimeOffset at, TimeSpan retryWindow, TimeSpan maxClockSkew)
    {
        var day = DateOnly.FromDateTime(at.UtcDateTime);
        var midnight = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        return at - midnight < retryWindow + maxClockSkew ? [day.AddDays(-1), day] : [day];
    }

    /// <summary>Start and end of the slice <paramref name="sliceIndex"/> of a conversation (end exclusive).</summary>
    public static (DateTimeOffset Start, DateTimeOffset End) SliceBounds(DateTimeOffset conversationStart, long sliceIndex) =>
        (conversationStart + (SliceLength * sliceIndex), conversationStart + (SliceLength * (sliceIndex + 1)));
}

/// <summary>The facts about a conversation that the slice rule needs.</summary>
public sealed record ConversationPosition(DateTimeOffset ConversationStart, DateTimeOffset LastMessageAt, long SliceIndex);
