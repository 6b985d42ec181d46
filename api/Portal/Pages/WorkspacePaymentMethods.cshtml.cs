using Billing.Apps;

namespace Billing.Api.Portal.Pages;

/// <summary>Where a workspace-wide "update payment method" email lands: the apps, each with its own methods.</summary>
public sealed class WorkspacePaymentMethodsModel : WorkspacePageModel
{
    public IReadOnlyList<AppView> Apps { get; private set; } = [];

    public async Task OnGetAsync(string workspaceId)
    {
        await LoadWorkspace(workspaceId);
        Apps = await Api.Get<IReadOnlyList<AppView>>($"{WorkspacePath}/apps");
    }
}
