using Billing.Errors;
using Billing.Notifications;
using Billing.Rules;
using Billing.Workspaces;

namespace Billing.Tests.Apps;

/// <summary>D1 as a pure rule: which credits back a publish and who approves it.</summary>
public sealed class PublishRulesTests
{
    [Theory]
    // workspace, paid, free, auto-approval on → publish now, approval, funding
    [InlineData(WorkspaceType.Standard, 0.01, 0, false, true, PublishApproval.Auto, PublishFunding.PaidCredits)]
    [InlineData(WorkspaceType.Standard, 50, 500, false, true, PublishApproval.Auto, PublishFunding.PaidCredits)]
    [InlineData(WorkspaceType.Standard, 0, 500, false, false, PublishApproval.Admin, PublishFunding.FreeCredits)]
    [InlineData(WorkspaceType.Standard, 0, 0.01, true, true, PublishApproval.Auto, PublishFunding.FreeCredits)]
    [InlineData(WorkspaceType.Enterprise, 0, 0, false, true, PublishApproval.Auto, PublishFunding.PaidCredits)]
    public void Publishing_follows_the_credits_that_back_the_app_D1(WorkspaceType type, double paid, double free, bool autoApproval, bool now, PublishApproval approval, PublishFunding funding)
    {
        var decision = PublishRules.Decide(new PublishFacts(type, (decimal)paid, (decimal)free, autoApproval));

        Assert.Equal(new PublishDecision(now, approval, funding), decision);
    }

    [Fact]
    public void Without_free_or_paid_credits_a_Standard_app_is_refused_with_the_reason_D1()
    {
        var refused = Assert.Throws<BillingException>(() => PublishRules.Decide(new PublishFacts(WorkspaceType.Standard, 0m, 0m, AutoApprovalEnabled: true)));

        Assert.Equal((BillingErrorKind.Conflict, "app.publish.no-credits"), (refused.Kind, refused.Code));
        Assert.Throws<BillingException>(() => PublishRules.FundingAtApproval(new PublishFacts(WorkspaceType.Standard, 0m, 0m, false)));
    }

    [Fact]
    public void Auto_approval_is_switched_on_only_after_a_purchase_but_always_off_D1()
    {
        Assert.Throws<BillingException>(() => PublishRules.ThrowIfAutoApprovalNotAllowed(enabling: true, paidCreditsPurchased: false));
        PublishRules.ThrowIfAutoApprovalNotAllowed(enabling: true, paidCreditsPurchased: true);
        PublishRules.ThrowIfAutoApprovalNotAllowed(enabling: false, paidCreditsPurchased: false);
    }
}
