namespace Billing.Seats;

/// <summary>
/// B5 aggregates of one app: what is needed to answer seat counts for the retained months and to apply the next
/// event, and nothing that grows with traffic. Sizes are bounded by <see cref="SeatLimits"/>: agents tracked at
/// once, months retained and the recent event-id window.
/// </summary>
[GenerateSerializer, Alias("billing.seats.state")]
public sealed class SeatState
{
    /// <summary>Every agent seen in the retained months (or still logged in), by agent id.</summary>
    [Id(0)] public Dictionary<string, AgentSeat> Agents { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Agents are numbered so that the per-month sets hold small integers, not repeated agent ids.</summary>
    [Id(1)] public int NextAgentNumber { get; set; }

    /// <summary>Per-month aggregates keyed by <see cref="SeatBook.MonthIndex(DateTimeOffset)"/>.</summary>
    [Id(2)] public Dictionary<int, MonthSeats> Months { get; set; } = [];

    /// <summary>The latest month the live logged-in set has been carried into; -1 before the first event.</summary>
    [Id(3)] public int CurrentMonth { get; set; } = -1;

    /// <summary>The most recent event ids, oldest first, at most <see cref="SeatLimits.RecentEventIds"/>.</summary>
    [Id(4)] public List<string> RecentEventIds { get; set; } = [];
}

/// <summary>One agent: its live state and the newest event applied to it (the per-agent monotonic clock).</summary>
[GenerateSerializer, Alias("billing.seats.agent")]
public sealed class AgentSeat
{
    [Id(0)] public int Number { get; set; }
    [Id(1)] public bool LoggedIn { get; set; }
    [Id(2)] public DateTimeOffset LastAt { get; set; } = DateTimeOffset.MinValue;
    [Id(3)] public bool LastWasLogin { get; set; }

    /// <summary>The latest month this agent appears in; once it is pruned and the agent is logged out, the agent is forgotten.</summary>
    [Id(4)] public int LastMonth { get; set; }
}

/// <summary>One calendar month (UTC) of one app.</summary>
[GenerateSerializer, Alias("billing.seats.month")]
public sealed class MonthSeats
{
    /// <summary>Agents (by number) who logged in during the month.</summary>
    [Id(0)] public HashSet<int> LoggedIn { get; set; } = [];

    /// <summary>Agents (by number) already logged in when the month began: they count in it too (B5).</summary>
    [Id(1)] public HashSet<int> Carried { get; set; } = [];

    /// <summary>The most agents logged in at once during the month.</summary>
    [Id(2)] public int Peak { get; set; }

    public int Named => LoggedIn.Count + Carried.Count(n => !LoggedIn.Contains(n));
}
