using Billing.Workspaces;

namespace Billing.Api.Portal.Pages;

/// <summary>The "explore benefits" page emails link to: every app's usage and support plan, with the way to change them.</summary>
public sealed class PlansModel : WorkspacePageModel
{
    public WorkspaceOverview? Overview { get; private set; }

    public async Task OnGetAsync(string workspaceId)
    {
        await LoadWorkspace(workspaceId);
        Overview = await Api.Get<WorkspaceOverview>($"{WorkspacePath}/overview");
    }
}
