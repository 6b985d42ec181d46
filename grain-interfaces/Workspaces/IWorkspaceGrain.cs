using Billing.Apps;

namespace Billing.Workspaces;

/// <summary>
/// One workspace (keyed by its id): its type, its members and their roles, and its shared free-credit grant.
/// It is the consistency boundary for who may act in the workspace.
/// </summary>
public interface IWorkspaceGrain : IGrainWithStringKey
{
    /// <summary>
    /// Creates the workspace as Standard, owned by <see cref="CreateWorkspace.OwnerUserId"/> (W1), with $500 of
    /// free credits valid for 90 days from now (C1). Fails with <c>workspace.exists</c> if it was already created.
    /// </summary>
    Task<WorkspaceView> Create(CreateWorkspace command);

    /// <summary>The workspace as <paramref name="userId"/> may see it, or null when it does not exist or they are not a member.</summary>
    Task<WorkspaceView?> GetForMember(string userId);

    /// <summary>The caller's role, or null for a non-member (and for a workspace that does not exist).</summary>
    /// <remarks>A read that interleaves: app grains check a user's membership from inside their own turn.</remarks>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<WorkspaceRole?> GetRole(string userId);

    /// <summary>The free-credit grant of the workspace (C1), or null when it has none (not created, or Enterprise).</summary>
    /// <remarks>A read that interleaves: the pool asks for it while <see cref="Create"/> waits for the pool.</remarks>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<FreeCreditGrant?> GetFreeCreditGrant();

    /// <summary>C4: the order in which the apps' charges take paid and free credits.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<ConsumptionOrder> GetConsumptionOrder();

    /// <summary>Records that app <paramref name="appId"/> belongs to this workspace (for workspace totals and the overview). Idempotent.</summary>
    Task RegisterApp(string appId);

    /// <summary>The ids of the workspace's apps.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<IReadOnlyList<string>> GetAppIds();

    /// <summary>C4: changes the consumption order; it applies to charges from then on.</summary>
    Task SetConsumptionOrder(ConsumptionOrder order);

    // ---- Team (W2) ------------------------------------------------------------------------------------------------

    /// <summary>
    /// W2: <paramref name="invitedByUserId"/> (Owner or Admin) invites <paramref name="email"/> as Admin or Member and
    /// the invitation email goes out (<c>MemberInvited</c>). Inviting the same address to the same role again while the
    /// first invitation is open answers that invitation and sends nothing new.
    /// </summary>
    Task<InvitationView> Invite(string invitedByUserId, string email, WorkspaceRole role);

    /// <summary>
    /// W2: <paramref name="userId"/>, whose verified token email is <paramref name="email"/>, accepts an invitation sent
    /// to that address and becomes a member with the invited role. Accepting again is harmless.
    /// </summary>
    Task<WorkspaceView> AcceptInvitation(string invitationId, string userId, string email);

    /// <summary>W2: an Owner or Admin withdraws an open invitation.</summary>
    Task RevokeInvitation(string actorUserId, string invitationId);

    /// <summary>Invitations, newest first.</summary>
    Task<IReadOnlyList<InvitationView>> GetInvitations();

    /// <summary>Members with their roles and, when known, their email and name.</summary>
    Task<IReadOnlyList<MemberView>> GetMembers();

    /// <summary>W2: an Owner or Admin changes a member's role to Admin or Member. The Owner's role is not changed here.</summary>
    Task ChangeRole(string actorUserId, string targetUserId, WorkspaceRole role);

    /// <summary>
    /// W2: an Owner or Admin removes a member, or a member leaves. The Owner cannot be removed, and a member who still
    /// owns apps is refused until the apps are transferred (W3), so no app is left without an owner in the workspace.
    /// </summary>
    Task RemoveMember(string actorUserId, string targetUserId);

    // ---- Apps ------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Admits a new app of <paramref name="product"/> owned by <paramref name="ownerUserId"/> (a member): in an
    /// Enterprise workspace only for licensed products (W4), on the Enterprise plan. Records the app and its owner.
    /// Idempotent for the same app id.
    /// </summary>
    Task<AppAdmission> AdmitApp(string appId, Product product, string ownerUserId);

    /// <summary>W3: the app's owner changed (after the app recorded it). Idempotent.</summary>
    Task AppOwnerChanged(string appId, string ownerUserId);

    /// <summary>The app was deleted: it leaves the workspace's list. Idempotent.</summary>
    Task UnregisterApp(string appId);

    /// <summary>App ids by owner, from the workspace's index.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<IReadOnlyDictionary<string, string>> GetAppOwners();

    // ---- Enterprise (W4, W5) ---------------------------------------------------------------------------------------

    /// <summary>W4: a Workspace Owner or an App Owner asks for an Enterprise contract for <paramref name="products"/>.</summary>
    Task<EnterpriseStatus> RequestEnterprise(string userId, IReadOnlyList<Product> products, string? note);

    /// <summary>The workspace's type, its Enterprise request, license and any unfinished plan switch.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<EnterpriseStatus> GetEnterpriseStatus();

    /// <summary>
    /// W4: support approves with <paramref name="license"/>. A Standard workspace with an open request becomes
    /// Enterprise and answers a plan-switch ticket listing its apps; an Enterprise workspace gets the new license
    /// (and answers its unfinished ticket, if any, so that a retried approval finishes the switch).
    /// </summary>
    Task<PlanSwitchTicket?> ApproveEnterprise(EnterpriseLicense license);

    /// <summary>W5: every app of the ticket is on the new plan: raises <c>WorkspacePlanSwitched</c> once and closes the ticket. Idempotent.</summary>
    Task CompletePlanSwitch(int switchNumber, IReadOnlyList<Billing.Notifications.ImpactedApp> impactedApps);
    /// <summary>The owner's user id (the recipient of the workspace's emails), or null when the workspace does not exist.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<string?> GetOwnerUserId();
}
