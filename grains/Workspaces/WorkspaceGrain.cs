using Billing.Errors;
using Billing.Rules;
using Billing.Wallets;

namespace Billing.Workspaces;

public sealed class WorkspaceGrain(
    [PersistentState("workspace", StorageNames.Billing)] IPersistentState<WorkspaceState> workspace,
    BillingClock clock,
    Billing.Notifications.IBillingEventSink events) : Grain, IWorkspaceGrain
{
    async Task<WorkspaceView> IWorkspaceGrain.Create(CreateWorkspace command)
    {
        var name = command.Name?.Trim() ?? "";
        if (name.Length == 0 || name.Length > WorkspaceLimits.MaxNameLength)
            throw BillingException.Invalid("name", "workspace.name.invalid", $"A workspace name is 1 to {WorkspaceLimits.MaxNameLength} characters.");
        if (string.IsNullOrWhiteSpace(command.OwnerUserId))
            throw BillingException.Invalid("ownerUserId", "workspace.owner.missing", "A workspace needs an owner.");
        if (workspace.State.IsCreated)
            throw BillingException.Conflict("workspace.exists", $"Workspace '{this.GetPrimaryKeyString()}' already exists.");

        var now = clock.UtcNow;
        var state = workspace.State;
        state.Name = name;
        state.Type = WorkspaceType.Standard; // W1
        state.OwnerUserId = command.OwnerUserId;
        state.CreatedAt = now;
        state.FreeCredits = FreeCreditRules.ForNewStandardWorkspace(now); // C1
        state.Members[command.OwnerUserId] = WorkspaceRole.Owner;
        await workspace.WriteStateAsync();
        await RaiseCreatedAsync(); // notifications (issue 5)

        // Posts the grant to the pool's ledger and arms the expiry reminder (C1, C2). Should this call fail, the pool
        // does it on first use: the grant is recorded in this state, and the pool reads it from here.
        await GrainFactory.GetGrain<IFreeCreditPoolGrain>(this.GetPrimaryKeyString()).EnsureGranted();
        return View(WorkspaceRole.Owner);
    }

    Task<WorkspaceView?> IWorkspaceGrain.GetForMember(string userId) =>
        Task.FromResult(RoleOf(userId) is { } role ? View(role) : null);

    Task<WorkspaceRole?> IWorkspaceGrain.GetRole(string userId) => Task.FromResult(RoleOf(userId));

    Task<FreeCreditGrant?> IWorkspaceGrain.GetFreeCreditGrant() => Task.FromResult(workspace.State.FreeCredits);

    Task<ConsumptionOrder> IWorkspaceGrain.GetConsumptionOrder() => Task.FromResult(workspace.State.ConsumptionOrder);

    async Task IWorkspaceGrain.RegisterApp(string appId)
    {
        if (!workspace.State.IsCreated)
            throw BillingException.NotFound("workspace.not-found", $"Workspace '{this.GetPrimaryKeyString()}' was not found.");
        if (workspace.State.AppIds.Contains(appId))
            return;
        workspace.State.AppIds.Add(appId);
        await workspace.WriteStateAsync();
    }

    Task<IReadOnlyList<string>> IWorkspaceGrain.GetAppIds() => Task.FromResult<IReadOnlyList<string>>([.. workspace.State.AppIds]);

    async Task IWorkspaceGrain.SetConsumptionOrder(ConsumptionOrder order)
    {
        if (!Enum.IsDefined(order))
            throw BillingException.Invalid("consumptionOrder", "workspace.consumption-order.invalid", "The consumption order is PaidFirst or FreeFirst.");
        if (!workspace.State.IsCreated)
            throw BillingException.NotFound("workspace.not-found", $"Workspace '{this.GetPrimaryKeyString()}' was not found.");
        workspace.State.ConsumptionOrder = order;
        await workspace.WriteStateAsync();
    }

    private WorkspaceRole? RoleOf(string userId) =>
        workspace.State.IsCreated && workspace.State.Members.TryGetValue(userId, out var role) ? role : null;

    private WorkspaceView View(WorkspaceRole callerRole)
    {
        var s = workspace.State;
        return new WorkspaceView(this.GetPrimaryKeyString(), s.Name, s.Type, s.OwnerUserId, s.CreatedAt, s.FreeCredits, callerRole, s.ConsumptionOrder);
    }

    Task<string?> IWorkspaceGrain.GetOwnerUserId() => Task.FromResult(workspace.State.IsCreated ? workspace.State.OwnerUserId : null);

    /// <summary>W1/C1: the owner's welcome email with the free-credit grant. One per workspace (the id is the workspace's).</summary>
    private Task RaiseCreatedAsync()
    {
        var s = workspace.State;
        return events.Publish(new Billing.Notifications.WorkspaceCreated
        {
            EventId = $"workspace-created:{this.GetPrimaryKeyString()}",
            WorkspaceId = this.GetPrimaryKeyString(),
            OccurredAt = s.CreatedAt,
            WorkspaceName = s.Name,
            OwnerUserId = s.OwnerUserId,
            FreeCreditsUsd = s.FreeCredits?.AmountUsd ?? 0m,
            FreeCreditsExpireAt = s.FreeCredits?.ExpiresAt ?? s.CreatedAt,
        });
    }
}
