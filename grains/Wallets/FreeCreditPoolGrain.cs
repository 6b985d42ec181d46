using Billing.Errors;
using Billing.Ledgers;
using Billing.Payments;
using Billing.Workspaces;
using Microsoft.Extensions.Logging;

namespace Billing.Wallets;

/// <summary>
/// A workspace's shared free credits (C1) and their expiry (C2). Apps draw from it in blocks; the expiry
/// reminder only wakes the grain, and the persisted due date and progress decide what is done, exactly once.
/// The expiry is judged on the workspace's time, so a sandbox workspace's test clock reaches it (docs/payments.md).
/// </summary>
public sealed partial class FreeCreditPoolGrain(
    [PersistentState("free-credit-pool", StorageNames.Billing)] IPersistentState<FreeCreditPoolState> pool,
    BillingTables tables,
    BillingClock clock,
    WorkspaceTime time,
    ILogger<FreeCreditPoolGrain> logger,
    Billing.Notifications.IBillingEventSink events) : Grain, IFreeCreditPoolGrain, IRemindable
{
    public const string Account = "free";
    private const string ExpiryReminder = "free-credit-expiry";
    private LedgerBook _book = null!;
    private TimeSpan? _testClockOffset;

    private string WorkspaceId => this.GetPrimaryKeyString();

    public static string BookId(string workspaceId) => $"pool:{workspaceId}";

    public override async Task OnActivateAsync(CancellationToken cancellationToken) =>
        _book = await LedgerBook.LoadAsync(tables.Ledgers, BookId(WorkspaceId), cancellationToken: cancellationToken);

    async Task IFreeCreditPoolGrain.EnsureGranted() => await EnsureGrantedAsync();

    async Task<FreeCreditDraw> IFreeCreditPoolGrain.Draw(string appId, string drawId, decimal amountUsd)
    {
        if (amountUsd <= 0m)
            throw BillingException.Invalid("amountUsd", "free-credits.draw.invalid", "A draw is a positive amount.");
        ThrowIfFaulted();
        if (!await EnsureGrantedAsync())
            return new FreeCreditDraw(0m, clock.UtcNow);
        var key = $"draw:{drawId}";

        // A retried draw answers the first one, even after expiry: the app then forfeits it with the rest.
        if (await _book.FindAsync(key) is { } earlier)
            return new FreeCreditDraw(-earlier.Sum(e => e.AmountUsd), pool.State.ExpiresAt!.Value);
        // Past the expiry nothing more is drawn. The expiry itself runs on the reminder tick (or RunDue), not here: it
        // asks every drawing app's wallet to forfeit, and the wallet asking may be one of them, finishing its own draw.
        if (pool.State.ExpiryDone || await WorkspaceNowAsync() >= pool.State.ExpiresAt || _book.Available(Account) <= 0m)
        {
            await RaiseIfUsedUpAsync(appId, 0m); // E1: completes a "used up" email a crash interrupted
            return new FreeCreditDraw(0m, pool.State.ExpiresAt!.Value);
        }

        // Recorded before the credits move, so that the expiry always knows every app holding some.
        if (pool.State.DrawingApps.Add(appId))
            await pool.WriteStateAsync();
        var amount = Math.Min(amountUsd, _book.Available(Account));
        var result = await _book.PostAsync(Posting.OneLeg(Account, LedgerEntryKind.Lease, -amount, clock.UtcNow, $"app:{appId}", idempotencyKey: key, reference: appId));
        var moved = result.Status == PostingStatus.Insufficient ? 0m : -result.AmountOf(Account);
        await RaiseIfUsedUpAsync(appId, moved); // E1: "free credits exhausted" once the pool is dry
        return new FreeCreditDraw(moved, pool.State.ExpiresAt!.Value);
    }

    async Task<FreeCreditStats> IFreeCreditPoolGrain.GetStats()
    {
        await EnsureGrantedAsync();
        try
        {
            await ExpireIfDueAsync();
        }
        catch (InvalidOperationException) when (!_book.IsFaulted)
        {
            // An app could not forfeit yet (logged; one still finishing a draw, say): the expiry is the reminder's to
            // finish, and the owner's read shows where it stands rather than failing.
        }

        var (granted, drawn) = await ReadGrantedAndDrawnAsync();

        var apps = new List<AppFreeCreditUse>();
        var remaining = _book.Balance(Account);
        foreach (var app in pool.State.DrawingApps.Order(StringComparer.Ordinal))
        {
            var balance = await GrainFactory.GetGrain<IAppWalletGrain>(app).GetBalance();
            apps.Add(new AppFreeCreditUse(app, drawn.GetValueOrDefault(app), balance.FreeDrawnUsd));
            remaining += balance.FreeDrawnUsd;
        }

        var forfeited = pool.State.ForfeitedUsd;
        return new FreeCreditStats(WorkspaceId, granted, granted - remaining - forfeited, remaining, forfeited, pool.State.ExpiresAt, pool.State.ExpiryDone, apps);
    }

    /// <summary>From the pool's ledger: what was granted (grants and adjustments) and what each app has drawn.</summary>
    private async Task<(decimal Granted, Dictionary<string, decimal> DrawnByApp)> ReadGrantedAndDrawnAsync()
    {
        decimal granted = 0m;
        var drawn = new Dictionary<string, decimal>(StringComparer.Ordinal);
        await foreach (var entry in LedgerTable.ReadAllAsync(tables.Ledgers, BookId(WorkspaceId), Account))
        {
            if (entry.Kind is LedgerEntryKind.Grant or LedgerEntryKind.Adjustment)
                granted += entry.AmountUsd;
            else if (entry.Kind == LedgerEntryKind.Lease && entry.Reference is { } app)
                drawn[app] = drawn.GetValueOrDefault(app) - entry.AmountUsd;
        }

        return (granted, drawn);
    }

    Task<LedgerPage> IFreeCreditPoolGrain.GetLedger(long afterSeq, int limit) =>
        LedgerTable.ReadPageAsync(tables.Ledgers, BookId(WorkspaceId), Account, afterSeq, limit);

    async Task<LedgerEntry> IFreeCreditPoolGrain.Adjust(WalletAdjustment adjustment)
    {
        OperatorAdjustments.Validate(adjustment);
        ThrowIfFaulted();
        if (!await EnsureGrantedAsync())
            throw BillingException.NotFound("workspace.not-found", $"Workspace '{WorkspaceId}' has no free credits.");
        var result = await _book.PostAsync(OperatorAdjustments.ToPosting(Account, adjustment, clock.UtcNow));
        return OperatorAdjustments.Entry(result, Account);
    }

    async Task IFreeCreditPoolGrain.RunDue()
    {
        _testClockOffset = null; // the test clock has just moved: read it again
        if (await EnsureGrantedAsync())
            await ExpireIfDueAsync();
    }

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        // A tick only wakes the grain: the persisted due date and progress decide, so a missed or doubled tick is harmless.
        if (reminderName != ExpiryReminder)
            return;
        // Each tick reads the offset again, should a test clock have moved without reaching RunDue (a crash in between).
        _testClockOffset = null;
        await ExpireIfDueAsync();
    }

    /// <summary>
    /// The workspace's time: the billing clock plus a sandbox test clock's offset (zero, without a call, outside the
    /// sandbox). The offset is read once per activation and again when the test clock says it moved, so a draw adds no
    /// call; the charges themselves keep their messages' times (the wallet never reads the test clock).
    /// </summary>
    private async ValueTask<DateTimeOffset> WorkspaceNowAsync()
    {
        _testClockOffset ??= await time.OffsetAsync(WorkspaceId);
        return clock.UtcNow + _testClockOffset.Value;
    }

    /// <summary>After a write of unknown outcome the book must be reloaded: a new activation does that.</summary>
    private void ThrowIfFaulted()
    {
        if (!_book.IsFaulted)
            return;
        DeactivateOnIdle();
        throw new InvalidOperationException($"The free-credit pool of workspace '{WorkspaceId}' is reloading after a failed write; retry.");
    }

    /// <summary>C1: posts the grant once and arms the reminder; false when the workspace has no free credits.</summary>
    private async Task<bool> EnsureGrantedAsync()
    {
        if (pool.State.GrantedUsd is not null)
            return true;
        var grant = await GrainFactory.GetGrain<IWorkspaceGrain>(WorkspaceId).GetFreeCreditGrant();
        if (grant is null)
            return false;

        await _book.PostAsync(Posting.OneLeg(Account, LedgerEntryKind.Grant, grant.AmountUsd, grant.GrantedAt, "workspace-created", reason: "Free credits of a new Standard workspace (C1)", idempotencyKey: "grant"));
        pool.State.GrantedUsd = grant.AmountUsd;
        pool.State.ExpiresAt = grant.ExpiresAt;
        await pool.WriteStateAsync();
        var due = grant.ExpiresAt - await WorkspaceNowAsync();
        await this.RegisterOrUpdateReminder(ExpiryReminder, due > TimeSpan.Zero ? due : TimeSpan.Zero, TimeSpan.FromDays(1));
        return true;
    }

    /// <summary>C2: at or after the persisted expiry, forfeits the pool's balance and every app's unspent draw, once.</summary>
    private async Task ExpireIfDueAsync()
    {
        var state = pool.State;
        if (state.ExpiryDone || state.ExpiresAt is not { } expiresAt || await WorkspaceNowAsync() < expiresAt)
            return;
        ThrowIfFaulted();

        if (!state.PoolForfeited)
        {
            var left = _book.Available(Account);
            if (left > 0m)
            {
                var result = await _book.PostAsync(Posting.OneLeg(Account, LedgerEntryKind.Expiry, -left, expiresAt, "free-credit-expiry", reason: "Unspent free credits expired (C2)", idempotencyKey: "expiry"));
                state.ForfeitedUsd += -result.AmountOf(Account);
            }

            state.PoolForfeited = true;
            await pool.WriteStateAsync();
        }

        // One app whose wallet fails must not keep the others' credits alive: each is tried, the failed ones are left
        // for the next reminder tick (the expiry stays undone until every app has forfeited).
        Exception? failed = null;
        foreach (var app in state.DrawingApps.Except(state.ForfeitedApps).ToList())
        {
            decimal forfeited;
            try
            {
                forfeited = await GrainFactory.GetGrain<IAppWalletGrain>(app).ForfeitFreeCredits(expiresAt);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogForfeitFailed(logger, e, WorkspaceId, app);
                failed ??= e;
                continue;
            }
            state.ForfeitedUsd += forfeited;
            state.ForfeitedApps.Add(app);
            await pool.WriteStateAsync();
        }
        if (failed is not null)
            throw new InvalidOperationException($"Free credits of workspace {WorkspaceId} expired, but some apps could not forfeit yet; retried on the next tick.", failed);

        await RaiseExpiredAsync(expiresAt); // E1, before ExpiryDone so a crash raises it again
        state.ExpiryDone = true;
        await pool.WriteStateAsync();
        LogExpired(logger, WorkspaceId, state.ForfeitedUsd);
        if (await this.GetReminder(ExpiryReminder) is { } reminder)
            await this.UnregisterReminder(reminder);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Free credits of workspace {WorkspaceId}: app {AppId} could not forfeit its draw yet")]
    private static partial void LogForfeitFailed(ILogger logger, Exception exception, string workspaceId, string appId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Free credits of workspace {WorkspaceId} expired: {ForfeitedUsd} USD forfeited")]
    private static partial void LogExpired(ILogger logger, string workspaceId, decimal forfeitedUsd);

    // ---- Notifications (E1) -----------------------------------------------------------------------------------

    /// <summary>
    /// C2 "used up": the pool handed out its last credit. Raised once (a persisted flag, set after the event is
    /// accepted, so a crash in between raises it again under the same id and the outbox drops the copy).
    /// </summary>
    private async Task RaiseIfUsedUpAsync(string requestingAppId, decimal justMoved)
    {
        var state = pool.State;
        if (state.ExhaustedRaised || state.ExpiryDone || state.GrantedUsd is null || _book.Available(Account) > 0m)
            return;
        await PublishExhaustedAsync(Billing.Notifications.FreeCreditsEndReason.UsedUp, clock.UtcNow, requestingAppId, justMoved);
        state.ExhaustedRaised = true;
        await pool.WriteStateAsync();
    }

    /// <summary>C2 "expired", once with the expiry; skipped when the credits were already reported used up and nothing expired.</summary>
    private async Task RaiseExpiredAsync(DateTimeOffset expiresAt)
    {
        if (pool.State.ExhaustedRaised && pool.State.ForfeitedUsd == 0m)
            return;
        await PublishExhaustedAsync(Billing.Notifications.FreeCreditsEndReason.Expired, expiresAt, null, 0m);
    }

    /// <summary>The workspace summary: per app, the free credits it used, its paid balance and whether it can still run.</summary>
    private async Task PublishExhaustedAsync(Billing.Notifications.FreeCreditsEndReason reason, DateTimeOffset at, string? requestingAppId, decimal justMoved)
    {
        var expired = reason == Billing.Notifications.FreeCreditsEndReason.Expired;
        var (granted, drawn) = await ReadGrantedAndDrawnAsync();

        var apps = new List<Billing.Notifications.AppFreeCreditUse>();
        var remaining = Math.Max(0m, _book.Balance(Account));
        foreach (var appId in pool.State.DrawingApps.Order(StringComparer.Ordinal))
        {
            if (await GrainFactory.GetGrain<Billing.Apps.IAppGrain>(appId).Get() is not { } app)
                continue;
            var wallet = GrainFactory.GetGrain<IAppWalletGrain>(appId);
            var balance = await wallet.GetBalance();
            // The requesting app's wallet books its draw only after this call returns.
            var free = expired ? 0m : balance.FreeDrawnUsd + (appId == requestingAppId ? justMoved : 0m);
            // At expiry the app's forfeit is asked again: it is idempotent and answers the amount it forfeited.
            var forfeited = expired ? await wallet.ForfeitFreeCredits(pool.State.ExpiresAt!.Value) : 0m;
            remaining += free;
            apps.Add(new Billing.Notifications.AppFreeCreditUse(appId, app.Name, app.OwnerUserId,
                drawn.GetValueOrDefault(appId) - free - forfeited, balance.PaidUsd, balance.PaidUsd > 0m || free > 0m));
        }

        await events.Publish(new Billing.Notifications.FreeCreditsExhausted
        {
            EventId = $"free-credits-exhausted:{WorkspaceId}:{(expired ? "expired" : "used-up")}",
            WorkspaceId = WorkspaceId,
            OccurredAt = at,
            Reason = reason,
            GrantedUsd = granted,
            UsedUsd = granted - remaining - pool.State.ForfeitedUsd,
            ForfeitedUsd = pool.State.ForfeitedUsd,
            Apps = apps,
        });
    }
}
