using Billing.Apps;
using Billing.Workspaces;
using Microsoft.AspNetCore.Mvc;

namespace Billing.Api.Portal.Pages;

/// <summary>W4: the Enterprise upgrade request and its status.</summary>
public sealed class EnterpriseModel : WorkspacePageModel
{
    public EnterpriseStatus? Status { get; private set; }

    public async Task OnGetAsync(string workspaceId)
    {
        await LoadWorkspace(workspaceId);
        Status = await Api.Get<EnterpriseStatus>($"{WorkspacePath}/enterprise-upgrade");
    }

    public async Task<IActionResult> OnPostAsync(string workspaceId, Product[]? products, string? note)
    {
        await Api.Post<EnterpriseStatus>($"/workspaces/{Uri.EscapeDataString(workspaceId)}/enterprise-upgrade", new { products, note });
        return Redirect(Request.Path, "Upgrade requested: the sales team will contact you.");
    }
}
