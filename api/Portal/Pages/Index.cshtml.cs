using Billing.Workspaces;
using Microsoft.AspNetCore.Mvc;

namespace Billing.Api.Portal.Pages;

/// <summary>The signed-in user's workspaces (<c>GET /workspaces</c>) and creating one (W1, C1).</summary>
public sealed class IndexModel : PortalPageModel
{
    public IReadOnlyList<WorkspaceView> Workspaces { get; private set; } = [];

    public async Task OnGetAsync() => Workspaces = await Api.Get<IReadOnlyList<WorkspaceView>>("/workspaces");

    public async Task<IActionResult> OnPostAsync(string? name)
    {
        var created = await Api.Post<WorkspaceView>("/workspaces", new { name });
        return Redirect($"/workspaces/{Uri.EscapeDataString(created.Id)}", $"Workspace {created.Name} created.");
    }
}
