using Billing.Errors;
using Billing.Ledgers;
using Billing.Notifications;
using Billing.Rules;
using Billing.Wallets;
using Billing.Workspaces;

namespace Billing.Apps;

/// <summary>
/// One app: what it is for, who owns it and works on it (W2, W3), its plan, and its way to publication (D1, D2).
/// It calls its workspace (admission, owner index) and reads its wallet and the workspace's free-credit pool; none of
/// them calls back into this grain except through <see cref="IAppGrain.Get"/>, which interleaves.
/// </summary>
public sealed class AppGrain(
    [PersistentState("app", StorageNames.Billing)] IPersistentState<AppState> app,
    BillingClock clock,
    IBillingEventSink events) : Grain, IAppGrain
{
    /// <summary>How far back the paid ledger is searched for a purchase (D1 auto-approval): pages of 1,000 entries.</summary>
    private const int MaxLedgerPagesScanned = 50;

    private const int MaxCollaborators = 200;

    private string AppId => this.GetPrimaryKeyString();

    async Task<AppView> IAppGrain.Create(CreateApp command)
    {
        var name = ValidName(command.Name);
        if (!Enum.IsDefined(command.Product))
            throw BillingException.Invalid("product", "app.product.invalid", "Unknown product.");
        var seatsBilled = command.Product is Product.ContactCenterAi or Product.AgentAi;
        if (command.SeatModel is { } model && (!seatsBilled || !Enum.IsDefined(model)))
            throw BillingException.Invalid("seatModel", "app.seat-model.invalid", "A seat model applies only to Contact Center AI and Agent AI apps (Named or Concurrent).");
        if (string.IsNullOrWhiteSpace(command.WorkspaceId) || string.IsNullOrWhiteSpace(command.OwnerUserId))
            throw BillingException.Invalid("workspaceId", "app.workspace.missing", "An app belongs to a workspace and has an owner.");
        if (app.State.IsCreated)
            throw BillingException.Conflict("app.exists", $"App '{AppId}' already exists.");

        // Admitted by the workspace first (W4: licensed products only; the plan to start on): if the app's own write
        // then fails, the workspace lists an id that reads as missing (readers skip it), rather than an app existing
        // that its workspace does not know.
        var admission = await GrainFactory.GetGrain<IWorkspaceGrain>(command.WorkspaceId).AdmitApp(AppId, command.Product, command.OwnerUserId);
        var s = app.State;
        s.WorkspaceId = command.WorkspaceId;
        s.Name = name;
        s.Product = command.Product;
        s.Plan = admission.Plan;
        // B5: the seat model is chosen per app; named seats unless the owner says otherwise.
        s.SeatModel = seatsBilled ? command.SeatModel ?? SeatModel.Named : null;
        s.OwnerUserId = command.OwnerUserId;
        s.CreatedAt = clock.UtcNow;
        await app.WriteStateAsync();
        return View();
    }

    Task<AppView?> IAppGrain.Get() => Task.FromResult(app.State.Exists ? View() : null);

    async Task<AppView> IAppGrain.ChangePlan(UsagePlan plan)
    {
        if (!Enum.IsDefined(plan))
            throw BillingException.Invalid("plan", "app.plan.invalid", "Unknown usage plan.");
        RequireExists();
        if (app.State.Plan != plan)
        {
            app.State.Plan = plan;
            await app.WriteStateAsync();
        }
        // Also when unchanged: a wallet that missed the notice of an earlier call (crash in between) catches up.
        await GrainFactory.GetGrain<IAppWalletGrain>(AppId).AppChanged(View());
        return View();
    }

    async Task<AppView> IAppGrain.Rename(string name)
    {
        var valid = ValidName(name);
        RequireExists();
        if (app.State.Name != valid)
        {
            app.State.Name = valid;
            await app.WriteStateAsync();
        }
        return View();
    }

    async Task<AppView> IAppGrain.SetSeatModel(SeatModel seatModel)
    {
        RequireExists();
        if (!Enum.IsDefined(seatModel) || app.State.Product is not (Product.ContactCenterAi or Product.AgentAi))
            throw BillingException.Invalid("seatModel", "app.seat-model.invalid", "A seat model applies only to Contact Center AI and Agent AI apps (Named or Concurrent).");
        if (app.State.SeatModel != seatModel)
        {
            app.State.SeatModel = seatModel;
            await app.WriteStateAsync();
        }
        return View();
    }

    async Task<AppView> IAppGrain.SetCollaborator(string userId, bool onTeam)
    {
        RequireExists();
        var s = app.State;
        if (string.IsNullOrWhiteSpace(userId) || userId.Length > TeamLimits.MaxUserIdLength)
            throw BillingException.Invalid("userId", "app.team.user.invalid", "Name a workspace member by user id.");
        if (onTeam)
        {
            if (userId == s.OwnerUserId)
                throw BillingException.Conflict("app.team.owner", "The App Owner is already on the team with every right.");
            if (await GrainFactory.GetGrain<IWorkspaceGrain>(s.WorkspaceId).GetRole(userId) is null)
                throw BillingException.Invalid("userId", "app.team.not-member", "Only members of the workspace join an app's team.");
            if (s.Collaborators.Contains(userId))
                return View();
            if (s.Collaborators.Count >= MaxCollaborators)
                throw BillingException.Conflict("app.team.full", $"An app has at most {MaxCollaborators} collaborators.");
            s.Collaborators.Add(userId);
        }
        else if (!s.Collaborators.Remove(userId))
            return View();
        await app.WriteStateAsync();
        return View();
    }

    async Task<AppView> IAppGrain.TransferOwnership(string newOwnerUserId, PreviousOwnerRole previousOwnerRole)
    {
        RequireExists();
        var s = app.State;
        if (string.IsNullOrWhiteSpace(newOwnerUserId) || newOwnerUserId.Length > TeamLimits.MaxUserIdLength)
            throw BillingException.Invalid("newOwnerUserId", "app.transfer.user.invalid", "Name the new owner by user id.");
        if (!Enum.IsDefined(previousOwnerRole))
            throw BillingException.Invalid("previousOwnerRole", "app.transfer.previous-role.invalid", "The previous owner's role is Collaborator or None.");
        var workspace = GrainFactory.GetGrain<IWorkspaceGrain>(s.WorkspaceId);
        if (newOwnerUserId != s.OwnerUserId)
        {
            // W3: any workspace user, on the app's team or not.
            if (await workspace.GetRole(newOwnerUserId) is null)
                throw BillingException.Invalid("newOwnerUserId", "app.transfer.not-member", "The new owner must be a member of the app's workspace.");
            var previous = s.OwnerUserId;
            s.OwnerUserId = newOwnerUserId;
            s.Collaborators.Remove(newOwnerUserId);
            if (previousOwnerRole == PreviousOwnerRole.Collaborator && !s.Collaborators.Contains(previous))
                s.Collaborators.Add(previous);
            await app.WriteStateAsync();
        }
        // Also on a retry whose first attempt failed after the write: the workspace's owner index catches up.
        await workspace.AppOwnerChanged(AppId, s.OwnerUserId);
        return View();
    }

    async Task IAppGrain.Delete()
    {
        RequireExists();
        var balance = await GrainFactory.GetGrain<IAppWalletGrain>(AppId).GetBalance();
        // Money is never dropped with an app: a paid balance is refunded (support) before the app goes.
        if (balance.PaidUsd > 0m)
            throw BillingException.Conflict("app.delete.paid-balance", $"The app still holds ${balance.PaidUsd} of paid credits; ask support for a refund before deleting it.");
        app.State.Deleted = true;
        await app.WriteStateAsync();
        await GrainFactory.GetGrain<IWorkspaceGrain>(app.State.WorkspaceId).UnregisterApp(AppId);
    }

    // ---- Publishing (D1, D2) ---------------------------------------------------------------------------------------

    async Task<AppView> IAppGrain.RequestPublish(string requestedByUserId)
    {
        RequireExists();
        var s = app.State;
        if (s.PublishStatus == PublishStatus.Published)
        {
            await RaiseFirstPublishIfOwed();
            return View();
        }
        var decision = PublishRules.Decide(await ReadPublishFacts());
        s.PublishRequestedBy = requestedByUserId;
        s.PublishRequestedAt = clock.UtcNow;
        s.LastRejectionReason = null;
        if (decision.PublishNow)
            MarkPublished(decision.Approval, decision.Funding);
        else
            s.PublishStatus = PublishStatus.PendingApproval;
        await app.WriteStateAsync();
        await RaiseFirstPublishIfOwed();
        return View();
    }

    async Task<AppView> IAppGrain.ApprovePublish(string approvedByUserId)
    {
        RequireExists();
        if (app.State.PublishStatus == PublishStatus.Published)
        {
            await RaiseFirstPublishIfOwed();
            return View();
        }
        if (app.State.PublishStatus != PublishStatus.PendingApproval)
            throw BillingException.Conflict("app.publish.no-request", "The app has no publish request waiting for approval.");
        var funding = PublishRules.FundingAtApproval(await ReadPublishFacts());
        MarkPublished(PublishApproval.Admin, funding);
        await app.WriteStateAsync();
        await RaiseFirstPublishIfOwed();
        return View();
    }

    async Task<AppView> IAppGrain.RejectPublish(string rejectedByUserId, string reason)
    {
        RequireExists();
        var why = reason?.Trim() ?? "";
        if (why.Length is 0 or > PublishLimits.MaxReasonLength)
            throw BillingException.Invalid("reason", "app.publish.reason.invalid", $"A rejection gives a reason of 1 to {PublishLimits.MaxReasonLength} characters.");
        if (app.State.PublishStatus != PublishStatus.PendingApproval)
            throw BillingException.Conflict("app.publish.no-request", "The app has no publish request waiting for approval.");
        app.State.PublishStatus = app.State.FirstPublishedAt is null ? PublishStatus.Draft : PublishStatus.Published;
        app.State.LastRejectionReason = why;
        await app.WriteStateAsync();
        return View();
    }

    async Task<AppView> IAppGrain.SetAutoApproval(bool enabled)
    {
        RequireExists();
        if (enabled && !app.State.PaidCreditsPurchased)
        {
            app.State.PaidCreditsPurchased = await PaidCreditsWerePurchased();
            PublishRules.ThrowIfAutoApprovalNotAllowed(enabled, app.State.PaidCreditsPurchased);
        }
        app.State.AutoApprovalEnabled = enabled;
        await app.WriteStateAsync();
        return View();
    }

    private void MarkPublished(PublishApproval approval, PublishFunding funding)
    {
        var s = app.State;
        s.PublishStatus = PublishStatus.Published;
        if (s.FirstPublishedAt is null)
        {
            s.FirstPublishedAt = clock.UtcNow;
            s.FirstApproval = approval;
            s.FirstFunding = funding;
        }
    }

    /// <summary>D2: once, after the first publish is durable; its event id is the app's, so a repeat sends nothing new (E2).</summary>
    private async Task RaiseFirstPublishIfOwed()
    {
        var s = app.State;
        if (s.FirstPublishedAt is not { } at || s.FirstPublishEventRaised)
            return;
        await events.Publish(new AppFirstPublished
        {
            EventId = $"app-first-published:{AppId}", WorkspaceId = s.WorkspaceId, OccurredAt = at,
            AppId = AppId, AppName = s.Name, Approval = s.FirstApproval!.Value, Funding = s.FirstFunding!.Value,
        });
        s.FirstPublishEventRaised = true;
        await app.WriteStateAsync();
    }

    /// <summary>D1's facts, read from their owners at this moment: the workspace's type, the app's paid balance, the workspace's unexpired free credits.</summary>
    private async Task<PublishFacts> ReadPublishFacts()
    {
        var s = app.State;
        var enterprise = await GrainFactory.GetGrain<IWorkspaceGrain>(s.WorkspaceId).GetEnterpriseStatus();
        if (enterprise.Type == WorkspaceType.Enterprise)
            return new PublishFacts(WorkspaceType.Enterprise, 0m, 0m, s.AutoApprovalEnabled);
        var balance = await GrainFactory.GetGrain<IAppWalletGrain>(AppId).GetBalance();
        var free = await GrainFactory.GetGrain<IFreeCreditPoolGrain>(s.WorkspaceId).GetStats();
        var now = clock.UtcNow;
        // The pool's remaining figure includes what apps drew and hold; all of it is forfeited at the one expiry (C2).
        var unexpiredFree = free.Expired || free.ExpiresAt is not { } expires || now >= expires ? 0m : free.RemainingUsd;
        return new PublishFacts(WorkspaceType.Standard, balance.PaidUsd, unexpiredFree, s.AutoApprovalEnabled);
    }

    /// <summary>D1: a Purchase or Reload in the paid ledger, oldest first, up to <see cref="MaxLedgerPagesScanned"/> pages.</summary>
    private async Task<bool> PaidCreditsWerePurchased()
    {
        var wallet = GrainFactory.GetGrain<IAppWalletGrain>(AppId);
        long after = 0;
        for (var page = 0; page < MaxLedgerPagesScanned; page++)
        {
            var entries = await wallet.GetLedger(WalletAccounts.Paid, after, 1000);
            if (entries.Entries.Any(e => e.Kind is LedgerEntryKind.Purchase or LedgerEntryKind.Reload && e.AmountUsd > 0m))
                return true;
            if (entries.NextAfterSeq is not { } next)
                return false;
            after = next;
        }
        return false;
    }

    private void RequireExists()
    {
        if (!app.State.Exists)
            throw BillingException.NotFound("app.not-found", $"App '{AppId}' was not found.");
    }

    private static string ValidName(string name) => Billing.Text.Names.Validate(name, "name", "app.name.invalid", AppLimits.MaxNameLength);

    private AppView View()
    {
        var s = app.State;
        return new AppView(AppId, s.WorkspaceId, s.Name, s.Product, s.Plan, s.SeatModel, s.OwnerUserId, s.CreatedAt,
            s.PublishStatus, [.. s.Collaborators],
            new PublishState(s.PublishRequestedBy, s.PublishRequestedAt, s.AutoApprovalEnabled, s.FirstPublishedAt, s.FirstApproval, s.FirstFunding, s.LastRejectionReason));
    }
}
