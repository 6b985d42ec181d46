using Billing.Workspaces;
using Microsoft.AspNetCore.Mvc;

namespace Billing.Api.Portal.Pages;

/// <summary>W2: members, roles and invitations of a workspace.</summary>
public sealed class TeamModel : WorkspacePageModel
{
    public IReadOnlyList<MemberView> Members { get; private set; } = [];

    public IReadOnlyList<InvitationView> Invitations { get; private set; } = [];

    public async Task OnGetAsync(string workspaceId)
    {
        await LoadWorkspace(workspaceId);
        Members = await Api.Get<IReadOnlyList<MemberView>>($"{WorkspacePath}/members");
        if (IsManager)
            Invitations = await Api.Get<IReadOnlyList<InvitationView>>($"{WorkspacePath}/invitations");
    }

    public async Task<IActionResult> OnPostInviteAsync(string workspaceId, string? email, WorkspaceRole? role)
    {
        await Api.Post<InvitationView>($"/workspaces/{Uri.EscapeDataString(workspaceId)}/invitations", new { email, role });
        return Redirect(Request.Path, $"Invitation sent to {email}.");
    }

    public async Task<IActionResult> OnPostRoleAsync(string workspaceId, string userId, WorkspaceRole? role)
    {
        await Api.Send(HttpMethod.Put, $"/workspaces/{Uri.EscapeDataString(workspaceId)}/members/{Uri.EscapeDataString(userId)}", new { role });
        return Redirect(Request.Path, "Role saved.");
    }

    public async Task<IActionResult> OnPostRemoveAsync(string workspaceId, string userId)
    {
        await Api.Send(HttpMethod.Delete, $"/workspaces/{Uri.EscapeDataString(workspaceId)}/members/{Uri.EscapeDataString(userId)}");
        return Redirect(Request.Path, "Member removed.");
    }

    public async Task<IActionResult> OnPostRevokeAsync(string workspaceId, string invitationId)
    {
        await Api.Send(HttpMethod.Delete, $"/workspaces/{Uri.EscapeDataString(workspaceId)}/invitations/{Uri.EscapeDataString(invitationId)}");
        return Redirect(Request.Path, "Invitation revoked.");
    }
}
