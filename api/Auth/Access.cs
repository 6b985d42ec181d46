using Billing.Apps;
using Billing.Errors;
using Billing.Workspaces;

namespace Billing.Api.Auth;

/// <summary>
/// Object-level authorization for every REST call: the caller's role in the workspace that owns the target.
/// Anyone without a role gets the same 404 as for an id that does not exist, so other tenants' ids cannot be
/// probed; a member whose role is too low gets 403.
/// </summary>
public static class Access
{
    /// <summary>Roles that manage a workspace's billing (W2).</summary>
    public static readonly WorkspaceRole[] BillingManagers = [WorkspaceRole.Owner, WorkspaceRole.Admin];

    /// <summary>Every workspace role.</summary>
    public static readonly WorkspaceRole[] Members = [WorkspaceRole.Owner, WorkspaceRole.Admin, WorkspaceRole.Member];

    public static async Task<WorkspaceRole> RequireWorkspaceRole(IGrainFactory grains, string workspaceId, string userId, params WorkspaceRole[] allowed)
    {
        WorkspaceIds.ThrowIfMalformed(workspaceId);
        var role = await grains.GetGrain<IWorkspaceGrain>(workspaceId).GetRole(userId)
            ?? throw BillingException.NotFound("workspace.not-found", $"Workspace '{workspaceId}' was not found.");
        if (!allowed.Contains(role))
            throw BillingException.Forbidden("workspace.role.insufficient", $"This needs one of the roles {string.Join(", ", allowed)} in the workspace; the caller is {role}.");
        return role;
    }

    /// <summary>
    /// The app, if the caller may act on it: a workspace role in <paramref name="allowed"/>, or being the app's
    /// owner when <paramref name="appOwnerAllowed"/> (W2: app owners manage their own apps).
    /// </summary>
    public static async Task<AppView> RequireApp(IGrainFactory grains, string appId, string userId, bool appOwnerAllowed, params WorkspaceRole[] allowed)
    {
        AppIds.ThrowIfMalformed(appId);
        var app = await grains.GetGrain<IAppGrain>(appId).Get()
            ?? throw BillingException.NotFound("app.not-found", $"App '{appId}' was not found.");
        var role = await grains.GetGrain<IWorkspaceGrain>(app.WorkspaceId).GetRole(userId)
            ?? throw BillingException.NotFound("app.not-found", $"App '{appId}' was not found.");
        if (!allowed.Contains(role) && !(appOwnerAllowed && app.OwnerUserId == userId))
            throw BillingException.Forbidden("app.role.insufficient", $"The caller's role ({role}) does not allow this on app '{appId}'.");
        return app;
    }
}
