using Billing.Errors;
using Billing.Notifications;
using Billing.Workspaces;

namespace Billing.Rules;

/// <summary>What the publishing rule (D1) needs to know about an app's money at the moment of a publish request.</summary>
public sealed record PublishFacts(
    WorkspaceType WorkspaceType,
    decimal PaidBalanceUsd,
    decimal UnexpiredFreeCreditsUsd,
    bool AutoApprovalEnabled);

/// <summary>What D1 decides: publish now (auto), wait for an admin, or refuse.</summary>
public sealed record PublishDecision(bool PublishNow, PublishApproval Approval, PublishFunding Funding);

/// <summary>D1, D2 as plain code.</summary>
public static class PublishRules
{
    /// <summary>
    /// D1: Enterprise workspaces and apps with paid credits publish automatically; on free credits only an admin
    /// approves unless auto-approval was switched on; with neither, the request is refused with the reason.
    /// An Enterprise app's funding is its contract, reported as paid (D2 has only the free/paid variants).
    /// </summary>
    public static PublishDecision Decide(PublishFacts facts)
    {
        if (facts.WorkspaceType == WorkspaceType.Enterprise)
            return new(true, PublishApproval.Auto, PublishFunding.PaidCredits);
        if (facts.PaidBalanceUsd > 0m)
            return new(true, PublishApproval.Auto, PublishFunding.PaidCredits);
        if (facts.UnexpiredFreeCreditsUsd > 0m)
            return new(facts.AutoApprovalEnabled, facts.AutoApprovalEnabled ? PublishApproval.Auto : PublishApproval.Admin, PublishFunding.FreeCredits);
        throw NoCredits();
    }

    /// <summary>
    /// D1 at an admin's approval: the credits are checked again (they may have run out since the request). Paid
    /// credits at that moment make it a paid-funded publish, but the approval was still an admin's.
    /// </summary>
    public static PublishFunding FundingAtApproval(PublishFacts facts) =>
        facts.WorkspaceType == WorkspaceType.Enterprise || facts.PaidBalanceUsd > 0m ? PublishFunding.PaidCredits
        : facts.UnexpiredFreeCreditsUsd > 0m ? PublishFunding.FreeCredits
        : throw NoCredits();

    /// <summary>D1: auto-approval can be switched on only once paid credits were purchased.</summary>
    public static void ThrowIfAutoApprovalNotAllowed(bool enabling, bool paidCreditsPurchased)
    {
        if (enabling && !paidCreditsPurchased)
            throw BillingException.Conflict("app.publish.auto-approval.unavailable", "Auto-approval can be switched on only once paid credits were purchased for this app.");
    }

    private static BillingException NoCredits() =>
        BillingException.Conflict("app.publish.no-credits", "The app cannot be published: the workspace has no unexpired free credits left and the app has no paid credits. Add funds to the app, then ask again.");
}
