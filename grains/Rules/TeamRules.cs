using Billing.Errors;
using Billing.Workspaces;

namespace Billing.Rules;

/// <summary>
/// W2: who may change whose membership. Plain code so that the rules are unit-tested directly. Each check throws the
/// domain error the API shows, before any state changes.
/// </summary>
public static class TeamRules
{
    /// <summary>W2: Owners and Admins invite users and manage roles.</summary>
    public static bool ManagesTeam(WorkspaceRole role) => role is WorkspaceRole.Owner or WorkspaceRole.Admin;

    /// <summary>
    /// Roles that can be given by an invitation or a role change. There is one Owner per workspace (W1); handing the
    /// workspace itself over is not a role change.
    /// </summary>
    public static void ThrowIfNotAssignable(WorkspaceRole role)
    {
        if (role is not (WorkspaceRole.Admin or WorkspaceRole.Member))
            throw BillingException.Invalid("role", "member.role.invalid", "A member's role is Admin or Member; the workspace has exactly one Owner.");
    }

    public static void ThrowIfCannotInvite(WorkspaceRole? actor, WorkspaceRole role)
    {
        ThrowIfNotManager(actor);
        ThrowIfNotAssignable(role);
    }

    public static void ThrowIfCannotChangeRole(WorkspaceRole? actor, WorkspaceRole? target, WorkspaceRole newRole)
    {
        ThrowIfNotManager(actor);
        if (target is null)
            throw BillingException.NotFound("member.not-found", "That user is not a member of the workspace.");
        if (target == WorkspaceRole.Owner)
            throw BillingException.Conflict("member.owner.protected", "The Workspace Owner's role cannot be changed.");
        ThrowIfNotAssignable(newRole);
    }

    /// <summary>An Owner or Admin removes a member; any member but the Owner may leave; the Owner stays.</summary>
    public static void ThrowIfCannotRemove(WorkspaceRole? actor, bool removingSelf, WorkspaceRole? target, int appsOwnedByTarget)
    {
        if (actor is null)
            throw BillingException.NotFound("workspace.not-found", "The workspace was not found.");
        if (!removingSelf && !ManagesTeam(actor.Value))
            throw BillingException.Forbidden("workspace.role.insufficient", "Only the Owner or an Admin removes other members.");
        if (target is null)
            throw BillingException.NotFound("member.not-found", "That user is not a member of the workspace.");
        if (target == WorkspaceRole.Owner)
            throw BillingException.Conflict("member.owner.protected", "The Workspace Owner cannot be removed.");
        if (appsOwnedByTarget > 0)
            throw BillingException.Conflict("member.owns-apps", $"The member still owns {appsOwnedByTarget} app(s): transfer them to another member first (W3).");
    }

    private static void ThrowIfNotManager(WorkspaceRole? actor)
    {
        if (actor is null)
            throw BillingException.NotFound("workspace.not-found", "The workspace was not found.");
        if (!ManagesTeam(actor.Value))
            throw BillingException.Forbidden("workspace.role.insufficient", "Only the Owner or an Admin manages the workspace's members.");
    }
}
