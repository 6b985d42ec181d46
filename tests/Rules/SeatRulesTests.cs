using Billing.Rules;

namespace Billing.Tests.Rules;

public sealed class SeatRulesTests
{
    private static readonly DateTimeOffset Day = new(2026, 11, 2, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Hundred_agents_in_three_shifts_of_at_most_fifty_are_100_named_and_50_concurrent_B5()
    {
        // Shifts of 50, 30 and 20 agents, 8 hours each, back to back: the first shift's logouts and the second's
        // logins happen at the same instant.
        var shifts = new[] { (From: 0, Count: 50), (From: 50, Count: 30), (From: 80, Count: 20) };
        var events = shifts.SelectMany((shift, i) => Enumerable.Range(shift.From, shift.Count).SelectMany(agent => new[]
        {
            new SeatEvent($"agent-{agent}", Day.AddHours(8 * i), IsLogin: true),
            new SeatEvent($"agent-{agent}", Day.AddHours(8 * (i + 1)), IsLogin: false),
        }));

        Assert.Equal(new SeatCount(Named: 100, Concurrent: 50), SeatRules.Count(events));
    }

    [Fact]
    public void Duplicate_logins_and_stray_logouts_do_not_inflate_seats_B5()
    {
        SeatEvent[] events =
        [
            new("a", Day, true), new("a", Day.AddMinutes(1), true), new("b", Day.AddMinutes(2), false),
            new("b", Day.AddMinutes(3), true), new("a", Day.AddMinutes(4), false), new("c", Day.AddMinutes(5), true),
        ];

        Assert.Equal(new SeatCount(Named: 3, Concurrent: 2), SeatRules.Count(events));
    }
}
