using Billing.Apps;
using Billing.Errors;
using Billing.Workspaces;

namespace Billing.Api.Apps;

/// <summary>What a caller wants to do with an app; each right names the roles it needs (W2).</summary>
public enum AppRight
{
    /// <summary>Any workspace member reads the workspace's apps.</summary>
    Read = 0,

    /// <summary>Build and ask to publish: the App Owner, its Collaborators, the Workspace Owner and Admins.</summary>
    Build = 1,

    /// <summary>Rename, delete, seat model, team, transfer (W3): the App Owner, the Workspace Owner and Admins.</summary>
    Manage = 2,

    /// <summary>Approve or reject publishing and its auto-approval (D1): the Workspace Owner and Admins.</summary>
    Approve = 3,
}

public static class AppAccess
{
    /// <summary>
    /// The app, if the caller holds <paramref name="right"/> on it. Outsiders get the 404 of an unknown id; members
    /// whose role is too low get 403.
    /// </summary>
    public static async Task<AppView> Require(IGrainFactory grains, string appId, string userId, AppRight right)
    {
        Billing.Api.Auth.AppIds.ThrowIfMalformed(appId);
        var app = await grains.GetGrain<IAppGrain>(appId).Get()
            ?? throw BillingException.NotFound("app.not-found", $"App '{appId}' was not found.");
        var role = await grains.GetGrain<IWorkspaceGrain>(app.WorkspaceId).GetRole(userId)
            ?? throw BillingException.NotFound("app.not-found", $"App '{appId}' was not found.");
        var manager = role is WorkspaceRole.Owner or WorkspaceRole.Admin;
        var owner = app.OwnerUserId == userId;
        var collaborator = app.Collaborators?.Contains(userId) == true;
        var allowed = right switch
        {
            AppRight.Read => true,
            AppRight.Build => manager || owner || collaborator,
            AppRight.Manage => manager || owner,
            _ => manager,
        };
        if (!allowed)
            throw BillingException.Forbidden("app.role.insufficient", $"The caller's role on app '{appId}' does not allow this ({right}).");
        return app;
    }
}
