namespace Billing.Workspaces;

/// <summary>
/// W4, W5: carries an approved Enterprise upgrade from the workspace to its apps. Stateless: the workspace holds the
/// ticket, so a retried approval (after a crash half-way) finishes the same switch and raises its event once.
/// </summary>
public interface IEnterpriseUpgradeGrain : IGrainWithIntegerKey
{
    /// <summary>Approves the upgrade of <paramref name="workspaceId"/> with <paramref name="license"/> and moves every app to the Enterprise plan.</summary>
    Task<EnterpriseStatus> Approve(string workspaceId, EnterpriseLicense license);
}
