using Billing.Apps;
using Billing.Workspaces;
using Orleans.TestingHost;

namespace Billing.Tests.Payments;

/// <summary>Turns a workspace Enterprise the way production does (W4): its owner requests it and support approves a license.</summary>
public static class EnterpriseWorkspaces
{
    private static readonly Product[] AllProducts = [Product.AutomationAi, Product.SearchAi, Product.ContactCenterAi, Product.AgentAi];

    public static async Task MakeEnterpriseAsync(TestCluster cluster, string workspaceId, string ownerUserId, DateTimeOffset approvedAt)
    {
        await cluster.Client.GetGrain<IWorkspaceGrain>(workspaceId).RequestEnterprise(ownerUserId, AllProducts, "payments test");
        await cluster.Client.GetGrain<IEnterpriseUpgradeGrain>(0).Approve(
            workspaceId, new EnterpriseLicense(AllProducts, null, null, approvedAt, "support-test"));
    }
}
