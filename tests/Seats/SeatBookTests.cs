using Billing.Rules;
using Billing.Seats;

namespace Billing.Tests.Seats;

/// <summary>The incremental, bounded seat aggregates against the reference rule <see cref="SeatRules.Count"/>.</summary>
public sealed class SeatBookTests
{
    private static readonly DateTimeOffset Start = new(2026, 9, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void In_time_order_the_aggregates_equal_SeatRules_month_by_month_with_agents_carried_over_B5()
    {
        var random = new Random(5);
        for (var run = 0; run < 300; run++)
        {
            // Three months of logins and logouts of a handful of agents, some of them at the same instant.
            var events = Enumerable.Range(0, random.Next(1, 60))
                .Select(_ => new SeatEvent($"agent-{random.Next(8)}", Start.AddHours(random.Next(0, 24 * 91) / 4 * 4), random.Next(2) == 0))
                .OrderBy(e => e.At).ThenBy(e => e.IsLogin)
                .ToList();
            var state = new SeatState();
            var id = 0;
            foreach (var e in events)
                Assert.Equal(SeatOutcome.Applied, SeatBook.Apply(state, $"e{id++}", e));

            var loggedIn = new HashSet<string>(StringComparer.Ordinal);
            foreach (var month in events.GroupBy(e => SeatBook.MonthIndex(e.At)).Select(g => g.Key).Order())
            {
                var ofMonth = events.Where(e => SeatBook.MonthIndex(e.At) == month).ToList();
                var expected = SeatRules.Count(ofMonth, loggedIn);
                Assert.Equal(expected, SeatBook.Usage(state, month, month));
                foreach (var e in ofMonth)
                {
                    if (e.IsLogin)
                        loggedIn.Add(e.AgentId);
                    else
                        loggedIn.Remove(e.AgentId);
                }
            }
        }
    }

    [Fact]
    public void A_logout_of_last_month_delivered_after_this_month_opened_takes_the_agent_out_of_this_month_B5()
    {
        var state = new SeatState();
        SeatBook.Apply(state, "1", new SeatEvent("a", new(2026, 10, 31, 22, 0, 0, TimeSpan.Zero), true));
        SeatBook.Apply(state, "2", new SeatEvent("b", new(2026, 10, 31, 23, 0, 0, TimeSpan.Zero), true));
        SeatBook.Apply(state, "3", new SeatEvent("c", new(2026, 11, 1, 9, 0, 0, TimeSpan.Zero), true));
        Assert.Equal(new SeatCount(3, 3), SeatBook.Usage(state, SeatBook.MonthIndex(2026, 11), 0));

        // b had logged out before midnight; the adapter delivered it late.
        SeatBook.Apply(state, "4", new SeatEvent("b", new(2026, 10, 31, 23, 30, 0, TimeSpan.Zero), false));

        Assert.Equal(new SeatCount(2, 2), SeatBook.Usage(state, SeatBook.MonthIndex(2026, 11), 0));
        Assert.Equal(new SeatCount(2, 2), SeatBook.Usage(state, SeatBook.MonthIndex(2026, 10), 0));
    }

    [Fact]
    public void Months_older_than_the_retained_ones_are_pruned_with_the_agents_seen_only_in_them_B5()
    {
        var state = new SeatState();
        SeatBook.Apply(state, "1", new SeatEvent("gone", Start, true));
        SeatBook.Apply(state, "2", new SeatEvent("gone", Start.AddHours(1), false));
        SeatBook.Apply(state, "3", new SeatEvent("stays", Start.AddHours(2), true));

        SeatBook.Apply(state, "4", new SeatEvent("new", Start.AddMonths(SeatLimits.RetainedMonths), true));

        Assert.Equal(SeatLimits.RetainedMonths, state.Months.Count);
        Assert.Equal(["new", "stays"], state.Agents.Keys.Order());
        Assert.Equal(SeatOutcome.TooOld, SeatBook.Apply(state, "5", new SeatEvent("gone", Start.AddDays(3), true)));
    }

    [Fact]
    public void The_recent_event_id_window_is_bounded_B5()
    {
        var state = new SeatState();
        for (var i = 0; i < SeatLimits.RecentEventIds * 3; i++)
            SeatBook.Apply(state, $"e{i}", new SeatEvent("a", Start.AddMinutes(i), i % 2 == 0));

        Assert.Equal(SeatLimits.RecentEventIds, state.RecentEventIds.Count);
        Assert.Equal(SeatOutcome.Duplicate, SeatBook.Apply(state, $"e{(SeatLimits.RecentEventIds * 3) - 1}", new SeatEvent("a", Start, true)));
    }
}
