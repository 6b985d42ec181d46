using Billing.Workspaces;
using Microsoft.AspNetCore.Mvc;

namespace Billing.Api.Portal.Pages;

/// <summary>W2: the invitation email's link. Accepting needs the invited address in the signed-in user's token.</summary>
public sealed class InvitationModel : PortalPageModel
{
    public string? Email => User.FindFirst("email")?.Value;

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(string workspaceId, string invitationId)
    {
        var joined = await Api.Post<WorkspaceView>($"/workspaces/{Uri.EscapeDataString(workspaceId)}/invitations/{Uri.EscapeDataString(invitationId)}/accept", null);
        return Redirect($"/workspaces/{Uri.EscapeDataString(joined.Id)}", $"You joined {joined.Name} as {joined.CallerRole}.");
    }
}
