using Billing.Apps;
using Billing.Workspaces;
using Microsoft.AspNetCore.Mvc;

namespace Billing.Api.Portal.Pages;

/// <summary>U3: the workspace's Plan &amp; Usage page: free-credit statistics (C1, C2), apps with paid and free use, creating an app.</summary>
public sealed class WorkspaceModel : PortalPageModel
{
    public WorkspaceView? Workspace { get; private set; }

    public WorkspaceOverview? Overview { get; private set; }

    public async Task OnGetAsync(string workspaceId)
    {
        var ws = Uri.EscapeDataString(workspaceId);
        Workspace = await Api.Get<WorkspaceView>($"/workspaces/{ws}");
        Overview = await Api.Get<WorkspaceOverview>($"/workspaces/{ws}/overview");
        WorkspaceId = Workspace.Id;
        WorkspaceName = Workspace.Name;
    }

    public async Task<IActionResult> OnPostCreateAppAsync(string workspaceId, string? name, Product? product, SeatModel? seatModel)
    {
        var app = await Api.Post<AppView>($"/workspaces/{Uri.EscapeDataString(workspaceId)}/apps", new { name, product, seatModel });
        return Redirect($"/workspaces/{Uri.EscapeDataString(workspaceId)}/apps/{Uri.EscapeDataString(app.Id)}", $"App {app.Name} created.");
    }

    public async Task<IActionResult> OnPostConsumptionOrderAsync(string workspaceId, ConsumptionOrder? order)
    {
        await Api.Send(HttpMethod.Put, $"/workspaces/{Uri.EscapeDataString(workspaceId)}/consumption-order", new { order });
        return Redirect(Request.Path, "Consumption order saved.");
    }
}
