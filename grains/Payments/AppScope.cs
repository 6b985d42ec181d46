using Billing.Apps;
using Billing.Errors;
using Billing.Workspaces;

namespace Billing.Payments;

/// <summary>What the money-in grains of one app ask about it: does it exist, and may its owners pay by themselves (W4).</summary>
internal static class AppScope
{
    public static AppView Require(AppView? app, string appId) =>
        app ?? throw BillingException.NotFound("app.not-found", $"App '{appId}' was not found.");

    /// <summary>W4: Enterprise workspaces are billed by contract: no funds, reloads or method changes of their own.</summary>
    public static async Task RequireSelfServiceAsync(IGrainFactory grains, AppView app)
    {
        if (await WorkspaceTypeAsync(grains, app) == WorkspaceType.Enterprise)
            throw BillingException.Forbidden("workspace.enterprise.contract-billed", "This is an Enterprise workspace: its contract bills it, so funds, reloads and payment methods are managed by support (W4).");
    }

    public static async Task<WorkspaceType> WorkspaceTypeAsync(IGrainFactory grains, AppView app)
    {
        var workspace = await grains.GetGrain<IWorkspaceGrain>(app.WorkspaceId).GetForMember(app.OwnerUserId);
        return workspace?.Type ?? WorkspaceType.Standard;
    }
}
