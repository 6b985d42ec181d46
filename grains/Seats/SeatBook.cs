using Billing.Rules;

namespace Billing.Seats;

/// <summary>Bounds that keep a seat grain's state well under the 960 KiB a grain state may serialize to.</summary>
public static class SeatLimits
{
    public const int MaxEventIdLength = 128;
    public const int MaxAgentIdLength = 64;

    /// <summary>Agents tracked at once (seen in the retained months or still logged in).</summary>
    public const int MaxTrackedAgents = 5_000;

    /// <summary>The current month and the twelve before it: a year of invoices plus the month being billed.</summary>
    public const int RetainedMonths = 13;

    /// <summary>Exact-replay window; older replays are made harmless by the per-agent event clock instead.</summary>
    public const int RecentEventIds = 256;

    /// <summary>How far in the future an event may be dated, for adapter clocks that run slightly ahead.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(15);
}

/// <summary>What <see cref="SeatBook.Apply"/> did with an event.</summary>
public enum SeatOutcome
{
    Applied = 0,

    /// <summary>The event id is in the recent window: nothing changed.</summary>
    Duplicate = 1,

    /// <summary>The event's month is no longer retained: nothing changed.</summary>
    TooOld = 2,

    /// <summary>A new agent would exceed <see cref="SeatLimits.MaxTrackedAgents"/>: nothing changed.</summary>
    OverCapacity = 3,
}

/// <summary>
/// B5 seat counting, incrementally, on bounded aggregates (no Orleans here). The same semantics as
/// <see cref="SeatRules.Count"/> when events arrive in time order; when they do not:
/// <list type="bullet">
/// <item>each agent has a monotonic event clock (time, then logout before login at one instant, as SeatRules orders
/// them): an event older than the agent's newest applied one no longer changes who is logged in, so a stale or
/// redelivered login cannot log an agent back in, nor a stray logout out;</item>
/// <item>a login, however late, still makes the agent a named seat of its month (that is order-independent);</item>
/// <item>a late event that is still the agent's newest but belongs to an earlier month corrects the months after it
/// exactly: the agent was in (or out of) the live set for every sample those months took.</item>
/// </list>
/// </summary>
public static class SeatBook
{
    public static int MonthIndex(DateTimeOffset at)
    {
        var utc = at.UtcDateTime;
        return MonthIndex(utc.Year, utc.Month);
    }

    public static int MonthIndex(int year, int month) => (year * 12) + month - 1;

    public static SeatOutcome Apply(SeatState state, string eventId, SeatEvent e)
    {
        // Checks first: an event that is refused or ignored leaves the state exactly as it was.
        if (state.RecentEventIds.Contains(eventId))
            return SeatOutcome.Duplicate;
        var month = MonthIndex(e.At);
        if (state.CurrentMonth >= 0 && month <= state.CurrentMonth - SeatLimits.RetainedMonths)
            return SeatOutcome.TooOld;
        if (!state.Agents.ContainsKey(e.AgentId) && state.Agents.Count >= SeatLimits.MaxTrackedAgents)
            return SeatOutcome.OverCapacity;

        Remember(state, eventId);
        RollTo(state, month);
        var seats = MonthOf(state, month);
        if (!state.Agents.TryGetValue(e.AgentId, out var agent))
        {
            agent = new AgentSeat { Number = state.NextAgentNumber++, LastMonth = month };
            state.Agents[e.AgentId] = agent;
        }

        if (e.IsLogin)
        {
            seats.LoggedIn.Add(agent.Number);
            agent.LastMonth = Math.Max(agent.LastMonth, month);
        }

        if (!IsNewer(e, agent))
            return SeatOutcome.Applied;
        agent.LastAt = e.At;
        agent.LastWasLogin = e.IsLogin;
        agent.LastMonth = Math.Max(agent.LastMonth, month);

        if (e.IsLogin && !agent.LoggedIn)
        {
            agent.LoggedIn = true;
            seats.Peak = Math.Max(seats.Peak, month == state.CurrentMonth ? LiveCount(state) : 1);
            // A late login of an earlier month: the agent was in when each later month began, and every sample
            // those months took left it out, so each of their peaks is exactly one higher.
            foreach (var later in LaterMonths(state, month))
            {
                if (later.Carried.Add(agent.Number))
                    later.Peak++;
            }
        }
        else if (!e.IsLogin && agent.LoggedIn)
        {
            agent.LoggedIn = false;
            // A late logout of an earlier month: the agent was carried into the later months by mistake and counted
            // in every sample they took, so each of their peaks is exactly one lower.
            foreach (var later in LaterMonths(state, month))
            {
                if (later.Carried.Remove(agent.Number))
                    later.Peak = Math.Max(0, later.Peak - 1);
            }
        }

        return SeatOutcome.Applied;
    }

    /// <summary>
    /// Seats of a month: its aggregates when it has any; for a month after the last event up to
    /// <paramref name="nowMonth"/>, the agents logged in now (they were in when it began and nothing happened since).
    /// </summary>
    public static SeatCount Usage(SeatState state, int month, int nowMonth)
    {
        if (state.Months.TryGetValue(month, out var seats))
            return new SeatCount(seats.Named, seats.Peak);
        if (state.CurrentMonth >= 0 && month > state.CurrentMonth && month <= nowMonth)
        {
            var live = LiveCount(state);
            return new SeatCount(live, live);
        }

        return new SeatCount(0, 0);
    }

    private static bool IsNewer(SeatEvent e, AgentSeat agent)
    {
        var byTime = e.At.CompareTo(agent.LastAt);
        return byTime > 0 || (byTime == 0 && e.IsLogin && !agent.LastWasLogin);
    }

    private static void Remember(SeatState state, string eventId)
    {
        state.RecentEventIds.Add(eventId);
        if (state.RecentEventIds.Count > SeatLimits.RecentEventIds)
            state.RecentEventIds.RemoveRange(0, state.RecentEventIds.Count - SeatLimits.RecentEventIds);
    }

    /// <summary>Opens the months up to <paramref name="month"/>, each starting with the agents logged in (B5), and prunes.</summary>
    private static void RollTo(SeatState state, int month)
    {
        if (month <= state.CurrentMonth)
            return;
        if (state.CurrentMonth >= 0)
        {
            var live = state.Agents.Values.Where(a => a.LoggedIn).Select(a => a.Number).ToList();
            for (var m = Math.Max(state.CurrentMonth + 1, month - SeatLimits.RetainedMonths + 1); m <= month; m++)
            {
                state.Months[m] = new MonthSeats { Carried = [.. live], Peak = live.Count };
                foreach (var agent in state.Agents.Values.Where(a => a.LoggedIn))
                    agent.LastMonth = Math.Max(agent.LastMonth, m);
            }
        }

        state.CurrentMonth = month;
        var oldest = month - SeatLimits.RetainedMonths + 1;
        foreach (var old in state.Months.Keys.Where(m => m < oldest).ToList())
            state.Months.Remove(old);
        foreach (var (id, _) in state.Agents.Where(a => !a.Value.LoggedIn && a.Value.LastMonth < oldest).ToList())
            state.Agents.Remove(id);
    }

    private static MonthSeats MonthOf(SeatState state, int month)
    {
        if (!state.Months.TryGetValue(month, out var seats))
            state.Months[month] = seats = new MonthSeats();
        return seats;
    }

    private static IEnumerable<MonthSeats> LaterMonths(SeatState state, int month)
    {
        for (var m = month + 1; m <= state.CurrentMonth; m++)
        {
            if (state.Months.TryGetValue(m, out var seats))
                yield return seats;
        }
    }

    private static int LiveCount(SeatState state) => state.Agents.Values.Count(a => a.LoggedIn);
}
