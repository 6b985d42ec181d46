using Billing.Apps;
using Billing.Errors;
using Billing.Notifications;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace Billing.Workspaces;

/// <summary>
/// W4, W5: the workspace records the approval and a ticket of the apps to move; this worker moves them (each
/// <see cref="IAppGrain.ChangePlan"/> is idempotent) and closes the ticket, which raises the plan-switch event.
/// The workspace never calls its apps itself: apps call their workspace (admission, transfer), so a workspace
/// waiting on an app could deadlock with that app waiting on the workspace.
/// </summary>
[StatelessWorker]
public sealed partial class EnterpriseUpgradeGrain(ILogger<EnterpriseUpgradeGrain> logger) : Grain, IEnterpriseUpgradeGrain
{
    async Task<EnterpriseStatus> IEnterpriseUpgradeGrain.Approve(string workspaceId, EnterpriseLicense license)
    {
        var workspace = GrainFactory.GetGrain<IWorkspaceGrain>(workspaceId);
        if (await workspace.ApproveEnterprise(license) is { } ticket)
        {
            var impacted = new List<ImpactedApp>();
            foreach (var appId in ticket.AppIds)
            {
                try
                {
                    var app = await GrainFactory.GetGrain<IAppGrain>(appId).ChangePlan(ticket.ToPlan);
                    impacted.Add(new ImpactedApp(app.Id, app.Name, app.OwnerUserId));
                }
                catch (BillingException e) when (e.Kind == BillingErrorKind.NotFound)
                {
                    // Listed but never written (its creation failed half-way) or deleted since: nothing to move.
                }
            }
            await workspace.CompletePlanSwitch(ticket.SwitchNumber, impacted);
            LogUpgraded(workspaceId, license.ApprovedBy, license.Products, ticket.ToPlan, impacted.Count);
        }
        return await workspace.GetEnterpriseStatus();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "EnterpriseUpgradeGrain {WorkspaceId}: Enterprise upgrade approved by {ApprovedBy} for {Products}; {AppCount} app(s) moved to {Plan}")]
    private partial void LogUpgraded(string workspaceId, string approvedBy, IReadOnlyList<Product> products, UsagePlan plan, int appCount);
}
