using Billing.Errors;

namespace Billing.Apps;

public sealed class AppGrain(
    [PersistentState("app", StorageNames.Billing)] IPersistentState<AppState> app,
    BillingClock clock) : Grain, IAppGrain
{
    async Task<AppView> IAppGrain.Create(CreateApp command)
    {
        var name = command.Name?.Trim() ?? "";
        if (name.Length == 0 || name.Length > AppLimits.MaxNameLength)
            throw BillingException.Invalid("name", "app.name.invalid", $"An app name is 1 to {AppLimits.MaxNameLength} characters.");
        if (!Enum.IsDefined(command.Product))
            throw BillingException.Invalid("product", "app.product.invalid", "Unknown product.");
        var seatsBilled = command.Product is Product.ContactCenterAi or Product.AgentAi;
        if (command.SeatModel is { } model && (!seatsBilled || !Enum.IsDefined(model)))
            throw BillingException.Invalid("seatModel", "app.seat-model.invalid", "A seat model applies only to Contact Center AI and Agent AI apps (Named or Concurrent).");
        if (string.IsNullOrWhiteSpace(command.WorkspaceId) || string.IsNullOrWhiteSpace(command.OwnerUserId))
            throw BillingException.Invalid("workspaceId", "app.workspace.missing", "An app belongs to a workspace and has an owner.");
        if (app.State.IsCreated)
            throw BillingException.Conflict("app.exists", $"App '{this.GetPrimaryKeyString()}' already exists.");

        var s = app.State;
        s.WorkspaceId = command.WorkspaceId;
        s.Name = name;
        s.Product = command.Product;
        s.Plan = UsagePlan.Standard;
        // B5: the seat model is chosen per app; named seats unless the owner says otherwise.
        s.SeatModel = seatsBilled ? command.SeatModel ?? SeatModel.Named : null;
        s.OwnerUserId = command.OwnerUserId;
        s.CreatedAt = clock.UtcNow;
        // Listed in the workspace first: if the app's own write then fails, the workspace lists an id that reads as
        // missing (readers skip it), rather than an app existing that its workspace does not know.
        await GrainFactory.GetGrain<Billing.Workspaces.IWorkspaceGrain>(s.WorkspaceId).RegisterApp(this.GetPrimaryKeyString());
        await app.WriteStateAsync();
        return View();
    }

    Task<AppView?> IAppGrain.Get() => Task.FromResult(app.State.IsCreated ? View() : null);

    async Task<AppView> IAppGrain.ChangePlan(UsagePlan plan)
    {
        if (!Enum.IsDefined(plan))
            throw BillingException.Invalid("plan", "app.plan.invalid", "Unknown usage plan.");
        if (!app.State.IsCreated)
            throw BillingException.NotFound("app.not-found", $"App '{this.GetPrimaryKeyString()}' was not found.");
        if (app.State.Plan != plan)
        {
            app.State.Plan = plan;
            await app.WriteStateAsync();
        }
        // Also when unchanged: a wallet that missed the notice of an earlier call (crash in between) catches up.
        await GrainFactory.GetGrain<Billing.Wallets.IAppWalletGrain>(this.GetPrimaryKeyString()).AppChanged(View());
        return View();
    }

    private AppView View()
    {
        var s = app.State;
        return new AppView(this.GetPrimaryKeyString(), s.WorkspaceId, s.Name, s.Product, s.Plan, s.SeatModel, s.OwnerUserId, s.CreatedAt);
    }
}
