namespace Billing.Rules;

/// <summary>
/// How often one user may create workspaces. Each Standard workspace brings free credits (C1), so the count is what
/// keeps free credits a trial and not a farm. A sliding window: at most <c>limit</c> creations in any
/// <see cref="Window"/>; the next is possible when the oldest counted one leaves the window.
/// </summary>
public static class WorkspaceCreationRules
{
    public static readonly TimeSpan Window = TimeSpan.FromDays(30);

    public const int DefaultPerWindow = 3;

    /// <summary>Creations still counted at <paramref name="now"/> (within the window before it).</summary>
    public static int CountedAt(IEnumerable<DateTimeOffset> createdAt, DateTimeOffset now) =>
        createdAt.Count(at => at > now - Window);

    /// <summary>Null when one more creation is allowed at <paramref name="now"/>, otherwise when it will be.</summary>
    public static DateTimeOffset? NextPossibleAt(IEnumerable<DateTimeOffset> createdAt, DateTimeOffset now, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var counted = createdAt.Where(at => at > now - Window).Order().ToList();
        if (counted.Count < limit)
            return null;
        // The creation that must leave the window before one more fits.
        return counted[counted.Count - limit] + Window;
    }
}
