using Billing.Apps;
using Billing.Errors;
using Billing.Invoices;
using Billing.Notifications;
using Billing.Payments;
using Billing.Rules;
using Billing.Telemetry;
using Billing.Workspaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Billing.Subscriptions;

/// <summary>
/// One app's usage or support subscription (P1-P5). Non-reentrant: a renewal is decided with the whole state in hand,
/// so two ticks, or a tick and an owner's call, never both renew. A charge is persisted as <see cref="PendingCharge"/>
/// before the gateway is asked (its key names the order or the renewal's due date and attempt), so after a crash the
/// same charge is asked again and the gateway replays it: one charge, one invoice, one period moved on.
/// </summary>
public sealed partial class SubscriptionGrain(
    [PersistentState("subscription", StorageNames.Billing)] IPersistentState<SubscriptionState> state,
    IPaymentGateway gateway,
    WorkspaceTime time,
    IBillingEventSink events,
    IOptions<PaymentsOptions> options,
    BillingMetrics metrics,
    ILogger<SubscriptionGrain> logger) : Grain, ISubscriptionGrain, IRemindable
{
    private const string DueReminder = "subscription-due";

    /// <summary>A test clock moved a year on a monthly plan renews twelve times at once; more is a bug, not a backlog.</summary>
    private const int MaxRenewalsPerRun = 40;

    private AppView? _app;

    private string SubscriptionId => this.GetPrimaryKeyString();

    private string AppId => SubscriptionId[..SubscriptionId.LastIndexOf(':')];

    private PlanKind Kind => SubscriptionId.EndsWith(":usage", StringComparison.Ordinal) ? PlanKind.Usage : PlanKind.Support;

    private SubscriptionState S => state.State;

    public override async Task OnActivateAsync(CancellationToken cancellationToken) =>
        _app = await GrainFactory.GetGrain<IAppGrain>(AppId).Get();

    async Task<SubscriptionView> ISubscriptionGrain.Subscribe(SubscriptionOrder order)
    {
        var app = RequireApp();
        if (S.AppliedOrders.Contains(order.OrderId))
            return View();
        if (!Enum.IsDefined(order.Plan) || SubscriptionKeys.KindOf(order.Plan) != Kind)
            throw BillingException.Invalid("plan", "subscription.plan.invalid", $"A {Kind.ToString().ToLowerInvariant()} subscription takes one of: {string.Join(", ", Enum.GetValues<SubscriptionPlan>().Where(p => SubscriptionKeys.KindOf(p) == Kind))}.");
        if (!Enum.IsDefined(order.Period))
            throw BillingException.Invalid("period", "subscription.period.invalid", "The period is Monthly or Yearly.");
        if (await GrainFactory.GetGrain<IWorkspaceGrain>(app.WorkspaceId).GetForMember(app.OwnerUserId) is { Type: WorkspaceType.Enterprise })
            throw BillingException.Forbidden("workspace.enterprise.contract-billed", "This is an Enterprise workspace: its contract sets its plans (W4).");
        // The method must exist and be chargeable (a card or PayPal of this app); asked now so a bad id fails before anything.
        await Payments().GetChargeableMethod(order.PaymentMethodId);

        var now = await NowAsync();
        await FinishPendingAsync(now);
        var price = options.Value.PriceOf(order.Plan, order.Period);
        if (S.Status is SubscriptionStatus.Active or SubscriptionStatus.PastDue or SubscriptionStatus.Cancelling)
            return await ModifyAsync(order, price, now);

        S.Pending = new PendingCharge { Key = $"{SubscriptionId}:order:{order.OrderId}", Purpose = ChargePurpose.NewSubscription, AmountUsd = price, Plan = order.Plan, Period = order.Period, PaymentMethodId = order.PaymentMethodId, OrderId = order.OrderId };
        await state.WriteStateAsync();
        if (await ExecutePendingAsync(now) is { Succeeded: false } failed)
            throw BillingException.Invalid("paymentMethodId", "payment.declined", $"The payment failed: {failed.Message ?? failed.Outcome.ToString()}.");
        return View();
    }

    async Task<SubscriptionView> ISubscriptionGrain.Cancel(string userId)
    {
        var app = RequireApp();
        if (S.Status is not (SubscriptionStatus.Active or SubscriptionStatus.PastDue))
            return S.Status == SubscriptionStatus.Cancelling ? View() : throw BillingException.Conflict("subscription.not-active", "There is no active subscription to cancel.");
        var now = await NowAsync();
        S.CancelledAt = now;
        // P5: service runs to the end of the paid period. A past-due subscription's period was not paid: it ends now.
        var endsAt = S.Status == SubscriptionStatus.PastDue ? now : S.RenewalDueAt!.Value;
        S.Status = S.Status == SubscriptionStatus.PastDue ? SubscriptionStatus.Ended : SubscriptionStatus.Cancelling;
        S.Pending = null;
        S.ChangeCount++;
        await state.WriteStateAsync();
        await SyncAppPlanAsync();
        await PublishAsync(app, SubscriptionChange.Cancelled, now, endsAt);
        await ScheduleAsync(now);
        return View();
    }

    Task<SubscriptionView> ISubscriptionGrain.Get()
    {
        RequireApp();
        return Task.FromResult(View());
    }

    async Task ISubscriptionGrain.RunDue()
    {
        if (_app is not null)
            await RunDueAsync();
    }

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        // A tick only wakes the grain: the persisted due dates decide, so a missed or doubled tick changes nothing.
        if (reminderName == DueReminder && _app is not null)
            await RunDueAsync();
    }

    private async Task RunDueAsync()
    {
        var app = RequireApp();
        var now = await NowAsync();
        await FinishPendingAsync(now);
        for (var i = 0; i < MaxRenewalsPerRun; i++)
        {
            if (S.Status == SubscriptionStatus.Active && S.RenewalDueAt is { } due && now >= SubscriptionRules.RenewalNoticeAt(due) && now < due && S.NoticeSentFor != due)
            {
                // P4: the auto-renewal notice, five days ahead, once per renewal.
                S.NoticeSentFor = due;
                await state.WriteStateAsync();
                await PublishAsync(app, SubscriptionChange.RenewalNotice, now, due, eventKey: $"{due.UtcTicks}");
            }

            if (S.Status == SubscriptionStatus.Cancelling && now >= S.RenewalDueAt)
            {
                S.Status = SubscriptionStatus.Ended;
                await state.WriteStateAsync();
                break;
            }

            var renewalDue = (S.Status == SubscriptionStatus.Active && now >= S.RenewalDueAt)
                || (S.Status == SubscriptionStatus.PastDue && now >= S.NextRetryAt);
            if (!renewalDue)
                break;
            await RenewAsync(now);
        }

        await SyncAppPlanAsync();
        await ScheduleAsync(now);
    }

    /// <summary>P4: charges the renewal (with a pending downgrade or period change applied), once per due date and attempt.</summary>
    private async Task RenewAsync(DateTimeOffset now)
    {
        var plan = S.PendingPlan ?? S.Plan!.Value;
        var period = S.PendingPeriod ?? S.Period!.Value;
        var due = S.RenewalDueAt!.Value;
        S.Pending = new PendingCharge
        {
            Key = $"{SubscriptionId}:renewal:{due.UtcTicks}:a{S.FailedAttempts}",
            Purpose = ChargePurpose.Renewal,
            AmountUsd = options.Value.PriceOf(plan, period),
            Plan = plan,
            Period = period,
            PaymentMethodId = S.PaymentMethodId!,
            DueAt = due,
        };
        await state.WriteStateAsync();
        await ExecutePendingAsync(now);
    }

    /// <summary>P3: an upgrade (dearer, same period) applies now for the prorated difference; anything else at renewal.</summary>
    private async Task<SubscriptionView> ModifyAsync(SubscriptionOrder order, decimal price, DateTimeOffset now)
    {
        var app = RequireApp();
        var resumed = S.Status == SubscriptionStatus.Cancelling;
        if (resumed)
            S.Status = SubscriptionStatus.Active;
        S.PaymentMethodId = order.PaymentMethodId;
        if (S.Status == SubscriptionStatus.Active && SubscriptionRules.AppliesNow(S.PriceUsd, price, S.Period!.Value, order.Period))
        {
            var charge = SubscriptionRules.ProratedUpgradeUsd(S.PriceUsd, price, S.CurrentPeriodStart!.Value, S.RenewalDueAt!.Value, now);
            S.Pending = new PendingCharge { Key = $"{SubscriptionId}:order:{order.OrderId}", Purpose = ChargePurpose.Upgrade, AmountUsd = charge, Plan = order.Plan, Period = order.Period, PaymentMethodId = order.PaymentMethodId, OrderId = order.OrderId };
            await state.WriteStateAsync();
            if (await ExecutePendingAsync(now) is { Succeeded: false } failed)
                throw BillingException.Invalid("paymentMethodId", "payment.declined", $"The payment failed: {failed.Message ?? failed.Outcome.ToString()}.");
            return View();
        }

        var same = order.Plan == S.Plan && order.Period == S.Period;
        S.PendingPlan = same ? null : order.Plan;
        S.PendingPeriod = same ? null : order.Period;
        S.AppliedOrders.Add(order.OrderId);
        S.ChangeCount++;
        await state.WriteStateAsync();
        await PublishAsync(app, SubscriptionChange.Modified, now, S.RenewalDueAt);
        return View();
    }

    private async Task FinishPendingAsync(DateTimeOffset now)
    {
        if (S.Pending is not null)
            await ExecutePendingAsync(now);
    }

    /// <summary>Charges <see cref="SubscriptionState.Pending"/> under its key and applies the outcome; answers the gateway's result.</summary>
    private async Task<ChargeResult> ExecutePendingAsync(DateTimeOffset now)
    {
        var app = RequireApp();
        var p = S.Pending!;
        ChargeResult result;
        PaymentMethodSummary? method = null;
        try
        {
            var chargeable = await Payments().GetChargeableMethod(p.PaymentMethodId);
            method = chargeable.Summary;
            result = p.AmountUsd == 0m
                ? new ChargeResult(ChargeOutcome.Succeeded, null, null)
                : await gateway.Charge(p.Key, chargeable.Token, p.AmountUsd, $"{p.Plan} {p.Period} for app {AppId}");
        }
        catch (BillingException e) when (e.Kind is BillingErrorKind.Invalid or BillingErrorKind.NotFound)
        {
            result = new ChargeResult(ChargeOutcome.Declined, null, e.Message);
        }

        if (p.AmountUsd > 0m)
            metrics.Payment(method?.Kind.ToString() ?? "unknown", result.Succeeded ? "succeeded" : "failed");

        if (result.Succeeded)
        {
            string? invoiceNumber = null;
            if (p.AmountUsd > 0m)
            {
                var fullPrice = options.Value.PriceOf(p.Plan, p.Period);
                var line = p.Purpose switch
                {
                    ChargePurpose.Upgrade => $"Upgrade to {p.Plan} ({p.Period}), prorated to {S.RenewalDueAt:yyyy-MM-dd}",
                    ChargePurpose.Renewal => $"{p.Plan} ({p.Period}) renewal from {p.DueAt:yyyy-MM-dd}",
                    _ => $"{p.Plan} ({p.Period}) from {now:yyyy-MM-dd}",
                };
                var invoice = await GrainFactory.GetGrain<IInvoiceSequenceGrain>(0).Issue(new InvoiceDraft(
                    p.Key, app.WorkspaceId, AppId, app.Name, Kind == PlanKind.Usage ? InvoiceSubject.UsagePlan : InvoiceSubject.SupportPlan,
                    p.Plan.ToString(), fullPrice, [new InvoiceLine(line, 1, p.AmountUsd, p.AmountUsd)], method?.Display ?? "", now));
                invoiceNumber = invoice.Number;
            }

            var change = Apply(p, now);
            if (invoiceNumber is not null)
                S.InvoiceNumbers.Add(invoiceNumber);
            S.Pending = null;
            await state.WriteStateAsync();
            await SyncAppPlanAsync();
            await PublishAsync(app, change, now, p.Purpose == ChargePurpose.Renewal ? p.DueAt : null, method, p.Purpose == ChargePurpose.Renewal ? $"{p.DueAt!.Value.UtcTicks}" : null);
            await ScheduleAsync(now);
            return result;
        }

        S.Pending = null;
        if (p.Purpose != ChargePurpose.Renewal)
        {
            // A refused order changes nothing; the owner sees why and may try another method.
            LogOrderRefused(SubscriptionId, p.Purpose, p.Plan, p.AmountUsd, result.Message ?? result.Outcome.ToString());
            await state.WriteStateAsync();
            return result;
        }

        // P4 dunning: retry on the schedule from the due date, then lapse to the free plan.
        S.FailedAttempts++;
        S.NextRetryAt = SubscriptionRules.NextDunningAttempt(p.DueAt!.Value, S.FailedAttempts, options.Value.DunningSchedule);
        var lapsed = S.NextRetryAt is null;
        S.Status = lapsed ? SubscriptionStatus.Lapsed : SubscriptionStatus.PastDue;
        S.ChangeCount++;
        if (lapsed)
            LogLapsed(SubscriptionId, p.Plan, S.FailedAttempts, result.Message ?? result.Outcome.ToString());
        else
            LogDunningStep(SubscriptionId, p.Plan, p.AmountUsd, S.FailedAttempts, S.NextRetryAt, result.Message ?? result.Outcome.ToString());
        await state.WriteStateAsync();
        await SyncAppPlanAsync();
        await PublishAsync(app, lapsed ? SubscriptionChange.Lapsed : SubscriptionChange.RenewalFailed, now, now, method, $"{p.DueAt!.Value.UtcTicks}:{S.FailedAttempts}");
        await ScheduleAsync(now);
        return result;
    }

    private SubscriptionChange Apply(PendingCharge p, DateTimeOffset now)
    {
        S.ChangeCount++;
        S.PaymentMethodId = p.PaymentMethodId;
        if (p.OrderId is not null)
            S.AppliedOrders.Add(p.OrderId);
        switch (p.Purpose)
        {
            case ChargePurpose.NewSubscription:
                S.Status = SubscriptionStatus.Active;
                S.Plan = p.Plan;
                S.Period = p.Period;
                S.PriceUsd = p.AmountUsd;
                S.ActivatedAt = now;
                S.Anchor = now;
                S.PeriodIndex = 0;
                S.CurrentPeriodStart = now;
                S.RenewalDueAt = SubscriptionRules.PeriodEnd(now, 0, p.Period);
                S.PendingPlan = null;
                S.PendingPeriod = null;
                S.FailedAttempts = 0;
                S.NextRetryAt = null;
                S.CancelledAt = null;
                return SubscriptionChange.Purchased;
            case ChargePurpose.Upgrade:
                S.Plan = p.Plan;
                S.PriceUsd = options.Value.PriceOf(p.Plan, p.Period);
                S.PendingPlan = null;
                S.PendingPeriod = null;
                return SubscriptionChange.Modified;
            default:
                var due = p.DueAt!.Value;
                if (p.Period != S.Period)
                {
                    S.Anchor = due;
                    S.PeriodIndex = 0;
                }
                else
                {
                    S.PeriodIndex++;
                }

                S.Plan = p.Plan;
                S.Period = p.Period;
                S.PriceUsd = p.AmountUsd;
                S.CurrentPeriodStart = due;
                S.RenewalDueAt = SubscriptionRules.PeriodEnd(S.Anchor!.Value, S.PeriodIndex, p.Period);
                S.PendingPlan = null;
                S.PendingPeriod = null;
                S.FailedAttempts = 0;
                S.NextRetryAt = null;
                S.Status = SubscriptionStatus.Active;
                return SubscriptionChange.Renewed;
        }
    }

    /// <summary>
    /// P1: the app's usage plan follows its usage subscription (Standard once it ended or lapsed). Checked after every
    /// change and on every tick, so a crash between this grain's write and the app's catches up.
    /// </summary>
    private async Task SyncAppPlanAsync()
    {
        if (Kind != PlanKind.Usage || S.Status == SubscriptionStatus.None)
            return;
        var want = S.Status is SubscriptionStatus.Ended or SubscriptionStatus.Lapsed
            ? UsagePlan.Standard
            : S.Plan == SubscriptionPlan.Advanced ? UsagePlan.Advanced : UsagePlan.Essential;
        var appGrain = GrainFactory.GetGrain<IAppGrain>(AppId);
        if ((await appGrain.Get())?.Plan is { } current && current != want && current != UsagePlan.Enterprise)
        {
            // ChangePlan tells the wallet from inside the app grain's turn; a wallet activating then reads the app, which
            // IAppGrain.Get allows by interleaving.
            _app = await appGrain.ChangePlan(want);
        }
    }

    private async Task PublishAsync(AppView app, SubscriptionChange change, DateTimeOffset now, DateTimeOffset? effectiveAt, PaymentMethodSummary? method = null, string? eventKey = null)
    {
        var plan = S.Plan ?? SubscriptionPlan.Basic;
        await events.Publish(new SubscriptionChanged
        {
            EventId = $"subscription:{SubscriptionId}:{change}:{eventKey ?? S.ChangeCount.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            WorkspaceId = app.WorkspaceId,
            OccurredAt = now,
            AppId = AppId,
            AppName = app.Name,
            Change = change,
            Subscription = new SubscriptionSummary(SubscriptionId, Kind, plan.ToString(), S.PriceUsd, S.Period ?? BillingPeriod.Monthly),
            ActivatedOn = S.ActivatedAt,
            NextRenewalOn = S.Status is SubscriptionStatus.Active or SubscriptionStatus.PastDue ? S.RenewalDueAt : null,
            EffectiveAt = effectiveAt,
            PaymentMethod = method,
        });
    }

    /// <summary>Arms the reminder for the next notice, renewal or retry (a tick only wakes the grain), or removes it.</summary>
    private async Task ScheduleAsync(DateTimeOffset now)
    {
        DateTimeOffset? next = S.Status switch
        {
            SubscriptionStatus.Active when S.NoticeSentFor != S.RenewalDueAt => SubscriptionRules.RenewalNoticeAt(S.RenewalDueAt!.Value),
            SubscriptionStatus.Active or SubscriptionStatus.Cancelling => S.RenewalDueAt,
            SubscriptionStatus.PastDue => S.NextRetryAt,
            _ => null,
        };
        if (next is null)
        {
            if (await this.GetReminder(DueReminder) is { } reminder)
                await this.UnregisterReminder(reminder);
            return;
        }

        var wait = next.Value - now;
        await this.RegisterOrUpdateReminder(DueReminder, wait > TimeSpan.FromMinutes(1) ? wait : TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));
    }

    private SubscriptionView View() => new(
        SubscriptionId, AppId, Kind, S.Status, S.Plan, S.Period, S.PriceUsd, S.ActivatedAt, S.CurrentPeriodStart, S.RenewalDueAt,
        S.PendingPlan, S.PendingPeriod, S.FailedAttempts, S.NextRetryAt, S.PaymentMethodId, [.. S.InvoiceNumbers]);

    private IAppPaymentsGrain Payments() => GrainFactory.GetGrain<IAppPaymentsGrain>(AppId);

    private async Task<DateTimeOffset> NowAsync() => await time.NowAsync(RequireApp().WorkspaceId);

    private AppView RequireApp() =>
        Billing.Payments.AppScope.Require(_app, AppId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SubscriptionGrain {SubscriptionId}: {Purpose} to {Plan} ({AmountUsd} USD) refused by the payment gateway: {Reason}")]
    private partial void LogOrderRefused(string subscriptionId, ChargePurpose purpose, SubscriptionPlan plan, decimal amountUsd, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SubscriptionGrain {SubscriptionId}: renewal of {Plan} ({AmountUsd} USD) failed, attempt {Attempt}; past due, next attempt at {NextAttemptAt}: {Reason}")]
    private partial void LogDunningStep(string subscriptionId, SubscriptionPlan plan, decimal amountUsd, int attempt, DateTimeOffset? nextAttemptAt, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "SubscriptionGrain {SubscriptionId}: {Plan} lapsed to the free plan after {Attempts} failed renewal attempts: {Reason}")]
    private partial void LogLapsed(string subscriptionId, SubscriptionPlan plan, int attempts, string reason);
}
