using Billing.Apps;
using Microsoft.AspNetCore.Mvc;

namespace Billing.Api.Portal.Pages;

/// <summary>D1, D2: publish requests and their approval.</summary>
public sealed class PublishingModel : WorkspacePageModel
{
    public IReadOnlyList<AppView> Apps { get; private set; } = [];

    public async Task OnGetAsync(string workspaceId)
    {
        await LoadWorkspace(workspaceId);
        Apps = await Api.Get<IReadOnlyList<AppView>>($"{WorkspacePath}/apps");
    }

    public Task<IActionResult> OnPostPublishAsync(string appId) => Act(appId, "publish", null, "Publish requested.");

    public Task<IActionResult> OnPostApproveAsync(string appId) => Act(appId, "publish/approve", null, "Publish approved.");

    public Task<IActionResult> OnPostRejectAsync(string appId, string? reason) => Act(appId, "publish/reject", new { reason }, "Publish rejected.");

    public async Task<IActionResult> OnPostAutoApprovalAsync(string appId, bool enabled)
    {
        await Api.Send(HttpMethod.Put, $"/apps/{Uri.EscapeDataString(appId)}/publish/auto-approval", new { enabled });
        return Redirect(Request.Path, enabled ? "Automatic approval is on." : "Automatic approval is off.");
    }

    private async Task<IActionResult> Act(string appId, string action, object? body, string notice)
    {
        await Api.Send(HttpMethod.Post, $"/apps/{Uri.EscapeDataString(appId)}/{action}", body);
        return Redirect(Request.Path, notice);
    }
}
