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

    /// <summary>The owner's user id (the recipient of the workspace's emails), or null when the workspace does not exist.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<string?> GetOwnerUserId();
}
