namespace Billing.Rules;

/// <summary>One agent login or logout, as a contact-center adapter reports it.</summary>
public sealed record SeatEvent(string AgentId, DateTimeOffset At, bool IsLogin);

/// <summary>B5: seats of one billing period.</summary>
public readonly record struct SeatCount(int Named, int Concurrent);

public static class SeatRules
{
    /// <summary>
    /// B5: named seats are the distinct agents who logged in; concurrent seats the most agents logged in at once.
    /// A logout without a login and a second login of an agent already in are ignored, so duplicated or
    /// reordered adapter events cannot inflate the counts. At one instant, logouts are applied before logins.
    /// </summary>
    public static SeatCount Count(IEnumerable<SeatEvent> events, IReadOnlySet<string>? loggedInAtPeriodStart = null)
    {
        var loggedIn = new HashSet<string>(loggedInAtPeriodStart ?? new HashSet<string>(), StringComparer.Ordinal);
        var named = new HashSet<string>(loggedIn, StringComparer.Ordinal);
        var peak = loggedIn.Count;
        foreach (var e in events.OrderBy(e => e.At).ThenBy(e => e.IsLogin))
        {
            if (e.IsLogin)
            {
                named.Add(e.AgentId);
                if (loggedIn.Add(e.AgentId))
                    peak = Math.Max(peak, loggedIn.Count);
            }
            else
            {
                loggedIn.Remove(e.AgentId);
            }
        }

        return new SeatCount(named.Count, peak);
    }
}
