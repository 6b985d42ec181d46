using Billing.Apps;
using Billing.Errors;
using Billing.Ledgers;
using Billing.Metering;
using Billing.Rules;
using Billing.Workspaces;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Billing.Wallets;

/// <summary>
/// An app's money: its paid wallet and the free credits it drew from the workspace pool, in one ledger book so a
/// charge split between them is one atomic, group-committed write (C3, C4, C6, C7).
/// </summary>
/// <remarks>
/// The book is journaled: a posting is numbered and balanced in memory, made durable in this silo's journal together
/// with every other app's postings and usage records of the moment, and filed into the <c>Ledgers</c> table afterwards
/// (docs/metering.md). So the wallet decides from its live balance, and a charge costs no storage transaction of its
/// own. Before the book loads, every silo files what its journal holds (a posting of an earlier activation, in any
/// silo's journal, is in the table first), and reading the ledger waits until this activation's postings are filed.
/// Reentrant so that concurrent charges share the journal's batches; each debit is checked against the live balance
/// in the same step that numbers it, so concurrency never overdraws. Draws from the pool are one at a
/// time (<see cref="_drawing"/>) and the pool is asked again only after it was found empty a minute ago.
/// </remarks>
[Reentrant]
public sealed class AppWalletGrain(
    [PersistentState("app-wallet", StorageNames.Billing)] IPersistentState<AppWalletState> wallet,
    BillingTables tables,
    Billing.Journal.SiloJournal journal,
    BillingClock clock,
    IOptions<MeteringOptions> options,
    Billing.Notifications.IBillingEventSink events,
    Billing.Telemetry.BillingMetrics metrics) : Grain, IAppWalletGrain
{
    private static readonly TimeSpan EmptyPoolRecheck = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan PendingDrawRetry = TimeSpan.FromSeconds(5);
    private Task _stateWriting = Task.CompletedTask;
    private AppView? _app;
    private LedgerBook _book = null!;
    private ConsumptionOrder _order;
    private DateTimeOffset _orderReadAt;
    private DateTimeOffset? _poolEmptyAt;
    private Task<decimal>? _drawing;
    private IGrainTimer? _finishingDraw;
    private DateTimeOffset _lowNoticeAt = DateTimeOffset.MinValue;

    private string AppId => this.GetPrimaryKeyString();

    public static string BookId(string appId) => $"app:{appId}";

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _app = await GrainFactory.GetGrain<IAppGrain>(AppId).Get();
        // Postings of earlier activations may sit in any silo's journal (or a dead silo's): all filed before the book loads.
        await journal.WhenRecoveredAsync().WaitAsync(cancellationToken);
        await Billing.Journal.UsageFiling.FileEverywhereAsync(GrainFactory, strict: true).WaitAsync(cancellationToken);
        var keyLookback = options.Value.RetryWindow + (2 * options.Value.MaxClockSkew) + TimeSpan.FromMinutes(1);
        _book = await LedgerBook.LoadJournaledAsync(tables.Ledgers, BookId(AppId), journal.AppendAsync, () => clock.UtcNow, keyLookback, metrics, cancellationToken);
        if (_app is not null)
        {
            await ReadOrderAsync();
            // A draw interrupted by a crash is finished (asked again under the same id, the pool replays it) right after
            // the activation, never within it: the pool may be calling this wallet at that moment (its expiry, its
            // emails), and an activation that waits on the pool would wait on a caller that waits on the activation.
            if (wallet.State.PendingDrawId is not null)
                _finishingDraw = this.RegisterGrainTimer(FinishPendingDrawAsync, new GrainTimerCreationOptions(TimeSpan.Zero, PendingDrawRetry) { Interleave = true });
        }
    }

    /// <summary>The pending draw asked again until it is done; a failure is logged by the timer and tried again.</summary>
    private async Task FinishPendingDrawAsync(CancellationToken cancellationToken)
    {
        if (wallet.State.PendingDrawId is not null)
            await DrawAsync(options.Value.FreeCreditDrawUsd);
        _finishingDraw?.Dispose();
        _finishingDraw = null;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // The next activation (maybe on another silo) reads the book from the table: file this one's postings first.
        if (_book is { LastPosition: > 0 } book)
            await journal.WhenFiledAsync(book.LastPosition).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
    }

    Task IAppWalletGrain.AppChanged(AppView app)
    {
        if (app.Id != AppId)
            throw BillingException.Invalid("app", "wallet.app.mismatch", $"Wallet '{AppId}' was told about app '{app.Id}'.");
        _app = app;
        return Task.CompletedTask;
    }

    async Task<SessionCharge> IAppWalletGrain.ChargeSession(string billingSessionId, ChannelClass channelClass, DateTimeOffset openedAt)
    {
        var app = RequireApp();
        ThrowIfFaulted();

        // No look-up before posting: a retried session id is caught by its marker in the same transaction (or by the
        // marker read on the rare refusal path), and the first charge is answered. A read per session would put a
        // storage round trip on every session opening.
        var price = options.Value.RateCard.SessionPrice(app.Plan, channelClass);
        if (price == 0m)
            return new SessionCharge(true, 0m, 0m, 0m);
        await RefreshOrderAsync();
        await ForfeitIfExpiredAsync();
        // C5: denied only when the paid wallet and the workspace's pool really cannot cover the price. Concurrent charges
        // share each draw, so a charge may find the block it waited for already spent by the others: it draws again.
        // The loop ends: it goes round again only after a draw moved credits out of the (finite) pool, or after another
        // charge took what the split counted on; it stops with a denial once a draw finds the pool empty.
        while (true)
        {
            var free = FreeUsable() ? _book.Available(WalletAccounts.Free) : 0m;
            var paid = _book.Available(WalletAccounts.Paid);
            var wantsFree = _order == ConsumptionOrder.FreeFirst ? free < price : paid + free < price;
            if (wantsFree && await DrawAsync(Math.Max(options.Value.FreeCreditDrawUsd, price)) > 0m)
                continue;

            if (ConsumptionRules.Split(price, paid, free, _order) is not { } split)
            {
                // B4 before C5: a retry of a session charged before the credits ran out or expired (its answer lost in
                // a crash) gets its first charge; a denial would leave that charge without the message it paid for.
                return await _book.FindAsync(billingSessionId) is { Count: > 0 } charged
                    ? ToCharge(charged)
                    : new SessionCharge(false, 0m, 0m, 0m);
            }

            var legs = new List<Leg>(2);
            if (split.FromPaid > 0m)
                legs.Add(new Leg(WalletAccounts.Paid, LedgerEntryKind.Charge, -split.FromPaid));
            if (split.FromFree > 0m)
                legs.Add(new Leg(WalletAccounts.Free, LedgerEntryKind.Charge, -split.FromFree));
            // A first charge of this session, if any, was posted after its message was sent (within the clock skew).
            var result = await _book.PostAsync(new Posting(legs, openedAt, "billing-session", IdempotencyKey: billingSessionId, Reference: channelClass.ToString()), openedAt - options.Value.MaxClockSkew);
            if (result.Status != PostingStatus.Insufficient)
            {
                await RaiseIfPaidExhaustedAsync(result.Entries); // E1: the paid wallet just reached 0
                NoticeLowPaidBalance(result.Entries);
                return ToCharge(result.Entries);
            }

            // Another charge took the money between the split and the post: split again on what is left.
        }
    }

    async Task IAppWalletGrain.RefundSession(string billingSessionId, string reason)
    {
        RequireApp();
        if (await _book.FindAsync(billingSessionId) is not { Count: > 0 } charged)
            return;
        var legs = charged.Select(e => new Leg(e.Account, LedgerEntryKind.Refund, -e.AmountUsd)).ToList();
        await _book.PostAsync(new Posting(legs, clock.UtcNow, "billing-session-refused", reason, $"{billingSessionId}:refund", billingSessionId));
    }

    Task<WalletBalance> IAppWalletGrain.GetBalance()
    {
        RequireApp();
        return Task.FromResult(new WalletBalance(AppId, _book.Balance(WalletAccounts.Paid), _book.Balance(WalletAccounts.Free), wallet.State.FreeExpiresAt));
    }

    async Task<LedgerPage> IAppWalletGrain.GetLedger(string account, long afterSeq, int limit)
    {
        RequireApp();
        if (account is not (WalletAccounts.Paid or WalletAccounts.Free))
            throw BillingException.Invalid("account", "ledger.account.invalid", "The account is 'paid' or 'free'.");
        if (limit is < 1 or > 1000)
            throw BillingException.Invalid("limit", "ledger.limit.invalid", "A page holds 1 to 1000 entries.");
        // Read-your-writes: every posting acknowledged so far is in the table before the page is read.
        await journal.WhenFiledAsync(_book.LastPosition);
        return await LedgerTable.ReadPageAsync(tables.Ledgers, BookId(AppId), account, Math.Max(0, afterSeq), limit);
    }

    async Task<LedgerEntry> IAppWalletGrain.Adjust(WalletAdjustment adjustment)
    {
        RequireApp();
        ThrowIfFaulted();
        OperatorAdjustments.Validate(adjustment);
        var result = await _book.PostAsync(OperatorAdjustments.ToPosting(WalletAccounts.Paid, adjustment, clock.UtcNow));
        return OperatorAdjustments.Entry(result, WalletAccounts.Paid);
    }

    async Task<decimal> IAppWalletGrain.ForfeitFreeCredits(DateTimeOffset expiresAt)
    {
        RequireApp();
        return await ForfeitAsync(expiresAt);
    }

    private bool FreeUsable() => wallet.State.FreeExpiresAt is not { } expiresAt || clock.UtcNow < expiresAt;

    private async Task ForfeitIfExpiredAsync()
    {
        if (FreeUsable())
            return;
        // A draw the pool may already have made belongs in the book before the rest is forfeited.
        if (wallet.State.PendingDrawId is not null)
            await DrawAsync(options.Value.FreeCreditDrawUsd);
        if (_book.Balance(WalletAccounts.Free) > 0m)
            await ForfeitAsync(wallet.State.FreeExpiresAt!.Value);
    }

    /// <summary>C2: one Expiry entry per grant expiry, whoever asks first (this wallet on use, or the pool's reminder).</summary>
    private async Task<decimal> ForfeitAsync(DateTimeOffset expiresAt)
    {
        var key = $"free-expiry:{expiresAt.UtcTicks}";
        if (await _book.FindAsync(key) is { } done)
            return -done.Sum(e => e.AmountUsd);
        // A draw interrupted by a crash may have moved credits the book does not hold yet: forfeiting now would leave them
        // unforfeited when the draw lands. The pool (the usual caller) tries again on its next tick; by then the
        // activation's own retry of the draw has finished it.
        if (wallet.State.PendingDrawId is { } pending)
            throw new InvalidOperationException($"The wallet of app '{AppId}' is still finishing free-credit draw '{pending}'; its expiry is tried again.");
        var left = _book.Available(WalletAccounts.Free);
        if (left <= 0m)
            return 0m;
        var result = await _book.PostAsync(Posting.OneLeg(WalletAccounts.Free, LedgerEntryKind.Expiry, -left, expiresAt, "free-credit-expiry", reason: "Unspent free credits expired (C2)", idempotencyKey: key));
        return -result.AmountOf(WalletAccounts.Free);
    }

    /// <summary>
    /// Moves up to <paramref name="amount"/> of free credits from the workspace pool into this book, one draw at a time,
    /// and answers what the draw moved. A caller that finds a draw in flight joins it and gets what that draw moved, not
    /// what is left of it when it resumes: the other callers may have spent it, and the caller then draws again (C5).
    /// </summary>
    private async Task<decimal> DrawAsync(decimal amount)
    {
        if (_drawing is { } inFlight)
            return await inFlight;

        if (_poolEmptyAt is { } emptyAt && clock.UtcNow - emptyAt < EmptyPoolRecheck && wallet.State.PendingDrawId is null)
            return 0m;
        _drawing = DrawOnceAsync(amount);
        try
        {
            return await _drawing;
        }
        finally
        {
            _drawing = null;
        }
    }

    private async Task<decimal> DrawOnceAsync(decimal amount)
    {
        var drawId = wallet.State.PendingDrawId ?? $"{AppId}:{wallet.State.Draws + 1}";
        if (wallet.State.PendingDrawId is null)
        {
            wallet.State.PendingDrawId = drawId;
            await WriteStateAsync();
        }

        var draw = await GrainFactory.GetGrain<IFreeCreditPoolGrain>(RequireApp().WorkspaceId).Draw(AppId, drawId, amount);
        if (draw.AmountUsd > 0m)
            await _book.PostAsync(Posting.OneLeg(WalletAccounts.Free, LedgerEntryKind.Lease, draw.AmountUsd, clock.UtcNow, "free-credit-draw", idempotencyKey: $"draw:{drawId}", reference: RequireApp().WorkspaceId));
        _poolEmptyAt = draw.AmountUsd < amount ? clock.UtcNow : null;
        wallet.State.PendingDrawId = null;
        wallet.State.Draws++;
        wallet.State.FreeExpiresAt = draw.ExpiresAt;
        await WriteStateAsync();
        return draw.AmountUsd;
    }

    /// <summary>Reentrant turns may both want to write: chaining the writes keeps them from racing on one ETag.</summary>
    private Task WriteStateAsync() => _stateWriting = WriteAfterAsync(_stateWriting);

    private async Task WriteAfterAsync(Task previous)
    {
        // The previous write's failure belongs to its own caller.
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        await wallet.WriteStateAsync();
    }

    /// <summary>C4 is a workspace setting; a wallet re-reads it at most once a minute so a change applies within a minute.</summary>
    private async Task RefreshOrderAsync()
    {
        if (clock.UtcNow - _orderReadAt >= TimeSpan.FromMinutes(1))
            await ReadOrderAsync();
    }

    private async Task ReadOrderAsync()
    {
        _order = await GrainFactory.GetGrain<IWorkspaceGrain>(RequireApp().WorkspaceId).GetConsumptionOrder();
        _orderReadAt = clock.UtcNow;
    }

    private AppView RequireApp() =>
        Billing.Payments.AppScope.Require(_app, AppId);

    private void ThrowIfFaulted()
    {
        if (!_book.IsFaulted)
            return;
        DeactivateOnIdle();
        throw new InvalidOperationException($"The wallet of app '{AppId}' is reloading after a failed write; retry.");
    }

    async Task<PaymentCredit> IAppWalletGrain.CreditPayment(string paymentId, LedgerEntryKind kind, decimal amountUsd, string reference)
    {
        RequireApp();
        ThrowIfFaulted();
        if (kind is not (LedgerEntryKind.Purchase or LedgerEntryKind.Reload))
            throw BillingException.Invalid("kind", "wallet.credit.kind", "A payment credits a Purchase or a Reload.");
        if (amountUsd <= 0m)
            throw BillingException.Invalid("amountUsd", "wallet.credit.amount", "A payment credits a positive amount.");
        var result = await _book.PostAsync(Posting.OneLeg(WalletAccounts.Paid, kind, amountUsd, clock.UtcNow, kind == LedgerEntryKind.Reload ? "auto-reload" : "purchase", idempotencyKey: $"payment:{paymentId}", reference: reference));
        var entry = result.Entries.Single(e => e.Account == WalletAccounts.Paid);
        return new PaymentCredit(entry, entry.BalanceAfterUsd - entry.AmountUsd, entry.BalanceAfterUsd);
    }

    async Task IAppWalletGrain.WatchPaidBalance(decimal? belowUsd)
    {
        RequireApp();
        if (wallet.State.WatchPaidBelowUsd == belowUsd)
            return;
        wallet.State.WatchPaidBelowUsd = belowUsd;
        await WriteStateAsync();
    }

    /// <summary>
    /// A2, A5: tells the payments grain (one-way: the charge does not wait) when this charge took the paid balance below
    /// the watched limit, and again at most once a minute while it stays below, so that a lost notice is made good.
    /// </summary>
    private void NoticeLowPaidBalance(IReadOnlyList<LedgerEntry> entries)
    {
        if (wallet.State.WatchPaidBelowUsd is not { } limit || entries.FirstOrDefault(e => e.Account == WalletAccounts.Paid) is not { } paid || paid.BalanceAfterUsd >= limit)
            return;
        var crossed = paid.BalanceAfterUsd - paid.AmountUsd >= limit;
        if (!crossed && clock.UtcNow - _lowNoticeAt < TimeSpan.FromMinutes(1))
            return;
        _lowNoticeAt = clock.UtcNow;
        _ = GrainFactory.GetGrain<Billing.Payments.IAppPaymentsGrain>(AppId).PaidBalanceLow();
    }

    private static SessionCharge ToCharge(IReadOnlyList<LedgerEntry> entries)
    {
        var paid = -entries.Where(e => e.Account == WalletAccounts.Paid).Sum(e => e.AmountUsd);
        var free = -entries.Where(e => e.Account == WalletAccounts.Free).Sum(e => e.AmountUsd);
        return new SessionCharge(true, paid + free, paid, free);
    }

    // ---- Notifications (E1) -----------------------------------------------------------------------------------

    /// <summary>
    /// The paid balance just reached 0: the owner is told, with or without free credits behind it. Once per
    /// occurrence: the id names the ledger entry that emptied the wallet, so a replayed charge raises the same event
    /// and the outbox sends nothing new (E2).
    /// </summary>
    private async Task RaiseIfPaidExhaustedAsync(IReadOnlyList<LedgerEntry> entries)
    {
        var emptied = entries.FirstOrDefault(e => e.Account == WalletAccounts.Paid && e.AmountUsd < 0m && e.BalanceAfterUsd == 0m);
        if (emptied is null)
            return;
        var app = RequireApp();
        // The workspace-level free credits (the pool and every app's drawn block), read once per occurrence.
        var freeLeft = FreeUsable() ? (await GrainFactory.GetGrain<IFreeCreditPoolGrain>(app.WorkspaceId).GetStats()).RemainingUsd : 0m;
        await events.Publish(new Billing.Notifications.PaidWalletExhausted
        {
            EventId = $"paid-wallet-exhausted:{AppId}:{emptied.Seq}",
            WorkspaceId = app.WorkspaceId,
            OccurredAt = emptied.At,
            AppId = AppId,
            AppName = app.Name,
            FreeCreditsAvailable = freeLeft > 0m,
            FreeCreditsRemainingUsd = freeLeft,
        });
    }
}
