using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Billing.Api.Auth;
using Billing.Errors;
using Billing.Users;
using Billing.Workspaces;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Api.Workspaces.Team;

/// <summary>W2: an invitation names an address and a role, nothing else (not the inviter, not the workspace).</summary>
public sealed record InviteMemberRequest(
    [property: Required, EmailAddress, StringLength(TeamLimits.MaxEmailLength, MinimumLength = 3)] string Email,
    [property: Required] WorkspaceRole? Role);

public sealed record ChangeRoleRequest([property: Required] WorkspaceRole? Role);

/// <summary>W2: members, invitations and roles of a workspace.</summary>
public static class TeamApi
{
    public static IEndpointRouteBuilder MapTeamApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/workspaces/{workspaceId}").WithTags("Team").RequireAuthorization();
        group.MapGet("/members", Members).WithName("ListMembers").Allows("Owner", "Admin", "Member");
        group.MapPut("/members/{userId}", ChangeRole).WithName("ChangeMemberRole").Allows("Owner", "Admin");
        group.MapDelete("/members/{userId}", Remove).WithName("RemoveMember").Allows("Owner", "Admin", "Self");
        group.MapGet("/invitations", Invitations).WithName("ListInvitations").Allows("Owner", "Admin");
        group.MapPost("/invitations", Invite).WithName("InviteMember").Allows("Owner", "Admin");
        group.MapDelete("/invitations/{invitationId}", Revoke).WithName("RevokeInvitation").Allows("Owner", "Admin");
        group.MapPost("/invitations/{invitationId}/accept", Accept).WithName("AcceptInvitation").Allows("Invitee");
        return routes;
    }

    private static async Task<Ok<IReadOnlyList<MemberView>>> Members(string workspaceId, HttpContext http, IClusterClient cluster)
    {
        await Access.RequireWorkspaceRole(cluster, workspaceId, http.User.UserId(), Access.Members);
        return TypedResults.Ok(await cluster.GetGrain<IWorkspaceGrain>(workspaceId).GetMembers());
    }

    private static async Task<NoContent> ChangeRole(string workspaceId, string userId, ChangeRoleRequest request, HttpContext http, IClusterClient cluster)
    {
        var caller = http.User.UserId();
        await Access.RequireWorkspaceRole(cluster, workspaceId, caller, Access.BillingManagers);
        await cluster.GetGrain<IWorkspaceGrain>(workspaceId).ChangeRole(caller, userId, request.Role!.Value);
        return TypedResults.NoContent();
    }

    /// <summary>Owners and Admins remove members; any member but the Owner may leave (their own id).</summary>
    private static async Task<NoContent> Remove(string workspaceId, string userId, HttpContext http, IClusterClient cluster)
    {
        var caller = http.User.UserId();
        if (caller == userId)
            await Access.RequireWorkspaceRole(cluster, workspaceId, caller, Access.Members);
        else
            await Access.RequireWorkspaceRole(cluster, workspaceId, caller, Access.BillingManagers);
        await cluster.GetGrain<IWorkspaceGrain>(workspaceId).RemoveMember(caller, userId);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<IReadOnlyList<InvitationView>>> Invitations(string workspaceId, HttpContext http, IClusterClient cluster)
    {
        await Access.RequireWorkspaceRole(cluster, workspaceId, http.User.UserId(), Access.BillingManagers);
        return TypedResults.Ok(await cluster.GetGrain<IWorkspaceGrain>(workspaceId).GetInvitations());
    }

    /// <summary>W2: sends the invitation email (the <c>MemberInvited</c> event); 201 with the invitation.</summary>
    private static async Task<Created<InvitationView>> Invite(string workspaceId, InviteMemberRequest request, HttpContext http, IClusterClient cluster)
    {
        var caller = http.User.UserId();
        await Access.RequireWorkspaceRole(cluster, workspaceId, caller, Access.BillingManagers);
        var invitation = await cluster.GetGrain<IWorkspaceGrain>(workspaceId).Invite(caller, request.Email, request.Role!.Value);
        return TypedResults.Created($"/workspaces/{workspaceId}/invitations/{invitation.Id}", invitation);
    }

    private static async Task<NoContent> Revoke(string workspaceId, string invitationId, HttpContext http, IClusterClient cluster)
    {
        var caller = http.User.UserId();
        await Access.RequireWorkspaceRole(cluster, workspaceId, caller, Access.BillingManagers);
        await cluster.GetGrain<IWorkspaceGrain>(workspaceId).RevokeInvitation(caller, invitationId);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// W2: the invited user accepts. The token's <c>email</c> claim must be the invited address and the identity provider
    /// must vouch for it (<c>email_verified</c> true): anyone can type an address into a sign-up form. The caller's
    /// profile (email, name) is recorded so that their emails can be addressed.
    /// </summary>
    private static async Task<Ok<WorkspaceView>> Accept(string workspaceId, string invitationId, HttpContext http, IClusterClient cluster, MemberWorkspaces memberships)
    {
        WorkspaceIds.ThrowIfMalformed(workspaceId);
        var caller = http.User.UserId();
        var email = http.User.FindFirstValue("email");
        if (string.IsNullOrWhiteSpace(email))
            throw BillingException.Forbidden("token.email.missing", "Accepting an invitation needs a token carrying the invited email address.");
        if (!string.Equals(http.User.FindFirstValue("email_verified"), "true", StringComparison.OrdinalIgnoreCase))
            throw BillingException.Forbidden("token.email.unverified", "Accepting an invitation needs a token whose email address is verified (email_verified = true).");
        var view = await cluster.GetGrain<IWorkspaceGrain>(workspaceId).AcceptInvitation(invitationId, caller, email);
        var name = http.User.FindFirstValue("name") is { } claimed && Billing.Text.Names.IsValid(claimed, UserLimits.MaxDisplayNameLength) ? claimed.Trim() : "";
        await cluster.User(caller).Record(new UserProfile(email.Trim(), name));
        await memberships.Add(caller, workspaceId, http.RequestAborted);
        return TypedResults.Ok(view);
    }
}
