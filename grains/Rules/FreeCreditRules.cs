using Billing.Workspaces;

namespace Billing.Rules;

/// <summary>Free-credit rules of SPEC section 4, free of Orleans so that they are unit-tested directly.</summary>
public static class FreeCreditRules
{
    /// <summary>C1: the free credits every new Standard workspace gets.</summary>
    public const decimal StandardGrantUsd = 500m;

    /// <summary>C1: free credits are valid for 90 days from the workspace's creation.</summary>
    public static readonly TimeSpan Validity = TimeSpan.FromDays(90);

    /// <summary>C1: the grant of a Standard workspace created at <paramref name="createdAt"/>.</summary>
    public static FreeCreditGrant ForNewStandardWorkspace(DateTimeOffset createdAt) =>
        new(StandardGrantUsd, createdAt, createdAt + Validity);

    /// <summary>C2: unspent credits are usable strictly before the expiry instant and forfeited from it on.</summary>
    public static bool IsExpired(FreeCreditGrant grant, DateTimeOffset now) => now >= grant.ExpiresAt;
}
