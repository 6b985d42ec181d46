using Billing.Workspaces;
using Microsoft.AspNetCore.Mvc;

namespace Billing.Api.Portal.Pages;

/// <summary>W2, W3: an app's collaborators and the transfer of its ownership.</summary>
public sealed class AppTeamModel : AppPageModel
{
    public IReadOnlyList<MemberView> Members { get; private set; } = [];

    public async Task OnGetAsync(string workspaceId, string appId)
    {
        await LoadApp(workspaceId, appId);
        Members = await Api.Get<IReadOnlyList<MemberView>>($"/workspaces/{Uri.EscapeDataString(workspaceId)}/members");
    }

    public async Task<IActionResult> OnPostAddCollaboratorAsync(string workspaceId, string appId, string userId)
    {
        await LoadApp(workspaceId, appId);
        await Api.Send(HttpMethod.Put, $"{AppPath}/collaborators/{Uri.EscapeDataString(userId)}");
        return Redirect(Request.Path, "Collaborator added.");
    }

    public async Task<IActionResult> OnPostRemoveCollaboratorAsync(string workspaceId, string appId, string userId)
    {
        await LoadApp(workspaceId, appId);
        await Api.Send(HttpMethod.Delete, $"{AppPath}/collaborators/{Uri.EscapeDataString(userId)}");
        return Redirect(Request.Path, "Collaborator removed.");
    }

    public async Task<IActionResult> OnPostTransferAsync(string workspaceId, string appId, string? newOwnerUserId, string? previousOwnerRole)
    {
        await LoadApp(workspaceId, appId);
        await Api.Send(HttpMethod.Post, $"{AppPath}/transfer", new { newOwnerUserId, previousOwnerRole });
        return Redirect(Request.Path, "Ownership transferred.");
    }
}
