using Billing.Invoices;

namespace Billing.Api.Portal.Pages;

/// <summary>U4: the workspace's invoices (billing managers).</summary>
public sealed class InvoicesModel : WorkspacePageModel
{
    public IReadOnlyList<Invoice> Invoices { get; private set; } = [];

    public async Task OnGetAsync(string workspaceId)
    {
        await LoadWorkspace(workspaceId);
        Invoices = await Api.Get<IReadOnlyList<Invoice>>($"{WorkspacePath}/invoices");
    }
}
