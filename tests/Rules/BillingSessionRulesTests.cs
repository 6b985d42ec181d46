using Billing.Rules;

namespace Billing.Tests.Rules;

public sealed class BillingSessionRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Idle = BillingSessionRules.DefaultIdleTimeout;

    /// <summary>Replays message times through the rule and counts the billing sessions they open.</summary>
    private static int BillingSessions(params double[] minutes) => BillingSessions(Idle, minutes);

    private static int BillingSessions(TimeSpan idle, params double[] minutes)
    {
        ConversationPosition? position = null;
        var sessions = 0;
        foreach (var at in minutes.Select(m => T0.AddMinutes(m)))
        {
            switch (BillingSessionRules.Classify(position, at, idle))
            {
                case SliceOutcome.NewConversation:
                    sessions++;
                    position = new ConversationPosition(at, at, 0);
                    break;
                case SliceOutcome.NewSlice:
                    sessions++;
                    position = position! with { LastMessageAt = at, SliceIndex = BillingSessionRules.SliceIndex(position.ConversationStart, at) };
                    break;
                default:
                    position = position! with { LastMessageAt = at > position.LastMessageAt ? at : position.LastMessageAt };
                    break;
            }
        }

        return sessions;
    }

    [Theory]
    [InlineData("2026-11-02T00:00:00Z", true)]
    [InlineData("2026-11-02T00:34:59Z", true)]
    [InlineData("2026-11-02T00:35:00Z", false)]
    [InlineData("2026-11-02T10:00:00Z", false)]
    [InlineData("2026-11-02T23:59:59Z", false)]
    public void A_grain_starting_over_asks_the_day_before_only_while_its_messages_can_still_matter_B1_B4(string at, bool dayBefore)
    {
        // Retry window 30 min, clock skew 5 min: 35 min after midnight, yesterday's last message is past the idle
        // timeout and any retry of it is stale.
        var timestamp = DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture);
        var days = BillingSessionRules.CursorDays(timestamp, TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(5));

        var today = new DateOnly(2026, 11, 2);
        Assert.Equal(dayBefore ? [today.AddDays(-1), today] : [today], days);
    }

    [Fact]
    public void A_31_minute_conversation_is_3_billing_sessions_B1() =>
        Assert.Equal(3, BillingSessions(0, 5, 10, 14, 16, 22, 29, 31));

    [Fact]
    public void Messages_inside_one_slice_are_one_billing_session_B1() =>
        Assert.Equal(1, BillingSessions(0, 1, 7, 14.99));

    [Fact]
    public void A_gap_as_long_as_the_idle_timeout_starts_a_new_conversation_B1()
    {
        Assert.Equal(2, BillingSessions(0, 15));      // gap == idle timeout: new conversation, new session
        Assert.Equal(2, BillingSessions(0, 14.9, 16)); // gaps below it: one conversation, slices 0 and 1
        Assert.Equal(2, BillingSessions(0, 5, 40));   // 35-minute gap: a second conversation
    }

    [Fact]
    public void A_slice_without_messages_is_not_a_billing_session_B1() =>
        Assert.Equal(2, BillingSessions(TimeSpan.FromMinutes(60), 0, 40)); // slices 0 and 2; slice 1 was silent

    [Fact]
    public void Slices_are_counted_from_the_conversation_start_not_the_clock_B1()
    {
        var start = T0.AddMinutes(7);

        Assert.Equal(0, BillingSessionRules.SliceIndex(start, start.AddMinutes(14.99)));
        Assert.Equal(1, BillingSessionRules.SliceIndex(start, start.AddMinutes(15)));
        Assert.Equal((start.AddMinutes(30), start.AddMinutes(45)), BillingSessionRules.SliceBounds(start, 2));
    }

    [Fact]
    public void A_late_message_never_opens_a_session()
    {
        var position = new ConversationPosition(T0, T0.AddMinutes(20), 1);

        Assert.Equal(SliceOutcome.SameSlice, BillingSessionRules.Classify(position, T0.AddMinutes(3), Idle));
    }
}
