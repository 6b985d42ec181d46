using Billing.Rules;

namespace Billing.Tests.Rules;

public sealed class FreeCreditRulesTests
{
    private static readonly DateTimeOffset CreatedAt = new(2026, 3, 1, 12, 30, 0, TimeSpan.Zero);

    [Fact]
    public void New_standard_workspace_gets_500_dollars_for_90_days_C1()
    {
        var grant = FreeCreditRules.ForNewStandardWorkspace(CreatedAt);

        Assert.Equal(500m, grant.AmountUsd);
        Assert.Equal(CreatedAt, grant.GrantedAt);
        Assert.Equal(new DateTimeOffset(2026, 5, 30, 12, 30, 0, TimeSpan.Zero), grant.ExpiresAt);
    }

    [Fact]
    public void Free_credits_are_usable_until_the_expiry_instant_and_expired_from_it_C2()
    {
        var grant = FreeCreditRules.ForNewStandardWorkspace(CreatedAt);

        Assert.False(FreeCreditRules.IsExpired(grant, grant.ExpiresAt.AddTicks(-1)));
        Assert.True(FreeCreditRules.IsExpired(grant, grant.ExpiresAt));
    }
}
