using Billing.Workspaces;

namespace Billing.Api.Portal.Pages;

/// <summary>A page under <c>/workspaces/{workspaceId}</c>: the workspace is read first (404 for non-members).</summary>
public abstract class WorkspacePageModel : PortalPageModel
{
    public WorkspaceView? Workspace { get; private set; }

    protected string WorkspacePath => $"/workspaces/{Uri.EscapeDataString(Workspace!.Id)}";

    public bool IsManager => Workspace?.CallerRole is WorkspaceRole.Owner or WorkspaceRole.Admin;

    protected async Task LoadWorkspace(string workspaceId)
    {
        Workspace = await Api.Get<WorkspaceView>($"/workspaces/{Uri.EscapeDataString(workspaceId)}");
        WorkspaceId = Workspace.Id;
        WorkspaceName = Workspace.Name;
    }
}
