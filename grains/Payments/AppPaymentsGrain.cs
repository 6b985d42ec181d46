using Billing.Apps;
using Billing.Errors;
using Billing.Invoices;
using Billing.Ledgers;
using Billing.Notifications;
using Billing.Rules;
using Billing.Telemetry;
using Billing.Wallets;
using Billing.Workspaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Billing.Payments;

/// <summary>
/// One app's money-in (M1-M3, A1-A5). Non-reentrant on purpose: every decision about "a payment in progress" or "a
/// reload in flight" is taken with the whole state in hand, and concurrent requests queue. The order of a charge is
/// always: persist the payment as Charging → gateway charge (idempotency key = payment id) → wallet credit (idempotent
/// on the payment id) → invoice (idempotent on the payment id) → events → persist Succeeded. A crash anywhere in between
/// leaves a Charging payment that the next activation or tick finishes with the same keys: one charge, one credit.
/// </summary>
public sealed partial class AppPaymentsGrain(
    [PersistentState("app-payments", StorageNames.Billing)] IPersistentState<AppPaymentsState> state,
    IPaymentGateway gateway,
    WorkspaceTime time,
    IBillingEventSink events,
    IOptions<PaymentsOptions> options,
    BillingMetrics metrics,
    ILogger<AppPaymentsGrain> logger) : Grain, IAppPaymentsGrain, IRemindable
{
    private const string DueReminder = "payments-due";
    private AppView? _app;

    private string AppId => this.GetPrimaryKeyString();

    private PaymentsOptions Options => options.Value;

    private IAppWalletGrain Wallet => GrainFactory.GetGrain<IAppWalletGrain>(AppId);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _app = await GrainFactory.GetGrain<IAppGrain>(AppId).Get();
        if (_app is null || !state.State.Payments.Values.Any(p => p.Status == PaymentStatus.Charging))
            return;
        // A charge interrupted by a crash is finished first, under the same keys (the gateway and the wallet replay).
        try
        {
            await ResumeChargesAsync();
        }
        catch (Exception e) when (e is not BillingException)
        {
            LogResumeFailed(e, AppId);
        }
    }

    async Task<PaymentMethodView> IAppPaymentsGrain.AddPaymentMethod(AddPaymentMethod command)
    {
        await RequireSelfServiceAsync();
        var token = command.Kind switch
        {
            PaymentMethodKind.Card => await gateway.TokenizeCard(command.Card ?? throw BillingException.Invalid("card", "payment-method.card.missing", "A card method needs the card's details.")),
            PaymentMethodKind.PayPal => await gateway.LinkPayPal(command.PayPalEmail ?? ""),
            _ => throw BillingException.Invalid("kind", "payment-method.kind.invalid", "A stored method is a Card or PayPal; a wire transfer is chosen per payment."),
        };
        var method = new StoredPaymentMethod
        {
            Id = $"pm_{++state.State.MethodSequence}",
            Kind = command.Kind,
            Token = token.Token,
            Brand = token.Brand,
            Last4 = token.Last4,
            ExpiryMonth = token.ExpiryMonth,
            ExpiryYear = token.ExpiryYear,
            PayPalEmail = command.Kind == PaymentMethodKind.PayPal ? command.PayPalEmail!.Trim() : null,
            AddedAt = await NowAsync(),
        };
        state.State.Methods[method.Id] = method;
        await state.WriteStateAsync();
        await ScheduleAsync(method.AddedAt);
        return method.View();
    }

    Task<IReadOnlyList<PaymentMethodView>> IAppPaymentsGrain.GetPaymentMethods()
    {
        RequireApp();
        return Task.FromResult<IReadOnlyList<PaymentMethodView>>([.. state.State.Methods.Values.OrderBy(m => m.AddedAt).Select(m => m.View())]);
    }

    async Task IAppPaymentsGrain.RemovePaymentMethod(string paymentMethodId, string userId)
    {
        await RequireSelfServiceAsync();
        var method = RequireMethod(paymentMethodId);
        if (state.State.AutoReload.Enabled && state.State.AutoReload.PaymentMethodId == method.Id)
            throw BillingException.Conflict("payment-method.in-use", "Auto-reload charges this method: choose another one or switch auto-reload off first.");
        state.State.Methods.Remove(method.Id);
        await state.WriteStateAsync();
    }

    async Task<PaymentView> IAppPaymentsGrain.AddFunds(AddFunds command)
    {
        var app = RequireApp();
        if (state.State.Payments.TryGetValue(command.PaymentId, out var earlier))
        {
            // A retry of the same request answers the same payment.
            // A field the request left out was chosen by the grain the first time (ChooseMethod): only what it named must match.
            if (earlier.AmountUsd != command.AmountUsd || (command.Method is { } asked && earlier.Method != asked)
                || (command.PaymentMethodId is not null && earlier.MethodId != command.PaymentMethodId))
                throw BillingException.Conflict("payment.id.reused", $"Payment '{command.PaymentId}' was made with other details.");
            return earlier.View(AppId);
        }

        await RequireSelfServiceAsync();
        if (PaymentRules.AmountProblem(command.AmountUsd, Options.MinimumPurchaseUsd, Options.MaximumPurchaseUsd) is { } problem)
            throw BillingException.Invalid("amountUsd", "payment.amount.invalid", problem);
        var now = await NowAsync();
        AbandonExpiredOtps(now);

        var (kind, methodId) = PaymentRules.ChooseMethod(command.Method, command.PaymentMethodId, [.. state.State.Methods.Values.Select(m => (m.Id, m.Kind))]);
        var record = new PaymentRecord
        {
            Id = command.PaymentId,
            Purpose = PaymentPurpose.Purchase,
            Method = kind,
            AmountUsd = command.AmountUsd,
            CreatedAt = now,
            UserId = command.UserId,
        };
        if (kind == PaymentMethodKind.WireTransfer)
        {
            // M2: registered as pending with the total to transfer; it blocks nothing and credits nothing until it clears.
            record.Status = PaymentStatus.AwaitingTransfer;
            record.MethodDisplay = "Wire transfer";
            record.WireReference = $"WIRE-{app.Id}-{command.PaymentId}";
            state.State.Payments[record.Id] = record;
            await state.WriteStateAsync();
            metrics.Payment(nameof(PaymentMethodKind.WireTransfer), "pending");
            return record.View(AppId);
        }

        var method = RequireMethod(methodId);
        if (state.State.InProgressPaymentId is { } busy)
            throw BillingException.Conflict("payment.in-progress", $"The previous payment ({busy}) is still in progress; finish it or wait for it first.");

        record.MethodId = method.Id;
        record.MethodDisplay = method.Display;
        state.State.InProgressPaymentId = record.Id;
        state.State.Payments[record.Id] = record;
        if (method.Kind == PaymentMethodKind.Card)
        {
            // M1: a card payment is verified by a one-time password before it is charged.
            record.Status = PaymentStatus.RequiresOtp;
            record.OtpDeadline = now + Options.OtpTimeout;
            await state.WriteStateAsync();
            metrics.Payment(record.Method.ToString(), "requires_otp");
            await ScheduleAsync(now);
            return record.View(AppId);
        }

        record.Status = PaymentStatus.Charging;
        await state.WriteStateAsync();
        await ChargeAsync(record);
        return record.View(AppId);
    }

    async Task<PaymentView> IAppPaymentsGrain.ConfirmOtp(string paymentId, string code)
    {
        RequireApp();
        var record = RequirePayment(paymentId);
        if (record.Status is PaymentStatus.Succeeded or PaymentStatus.Failed)
            return record.View(AppId);
        if (record.Status == PaymentStatus.Charging)
        {
            await ChargeAsync(record);
            return record.View(AppId);
        }

        if (record.Status != PaymentStatus.RequiresOtp)
            throw BillingException.Conflict("payment.otp.not-expected", $"Payment '{paymentId}' is {record.Status}: it takes no OTP.");
        var now = await NowAsync();
        if (AbandonExpiredOtps(now))
        {
            await state.WriteStateAsync();
            throw BillingException.Conflict("payment.otp.expired", "The time for the OTP ran out; the payment was abandoned.");
        }

        var method = RequireMethod(record.MethodId);
        if (!await gateway.VerifyOtp(method.Token, record.Id, code ?? ""))
        {
            Fail(record, "otp_failed", now);
            await state.WriteStateAsync();
            return record.View(AppId);
        }

        record.Status = PaymentStatus.Charging;
        await state.WriteStateAsync();
        await ChargeAsync(record);
        return record.View(AppId);
    }

    async Task<PaymentView> IAppPaymentsGrain.ClearWireTransfer(string paymentId, decimal amountUsd, string clearedBy)
    {
        RequireApp();
        var record = RequirePayment(paymentId);
        if (record.Method != PaymentMethodKind.WireTransfer)
            throw BillingException.Invalid("paymentId", "payment.not-a-wire", $"Payment '{paymentId}' is not a wire transfer.");
        if (record.Status == PaymentStatus.Succeeded)
            return record.View(AppId);
        if (amountUsd != record.AmountUsd)
            throw BillingException.Invalid("amountUsd", "wire.amount.mismatch", $"The transfer of ${amountUsd} does not match the order's ${record.AmountUsd}.");
        record.ChargeId = $"wire:{clearedBy}";
        await CompleteAsync(record);
        return record.View(AppId);
    }

    Task<PaymentView?> IAppPaymentsGrain.GetPayment(string paymentId)
    {
        RequireApp();
        return Task.FromResult(state.State.Payments.TryGetValue(paymentId, out var p) ? p.View(AppId) : null);
    }

    Task<IReadOnlyList<PaymentView>> IAppPaymentsGrain.GetPayments()
    {
        RequireApp();
        return Task.FromResult<IReadOnlyList<PaymentView>>([.. state.State.Payments.Values.OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id, StringComparer.Ordinal).Select(p => p.View(AppId))]);
    }

    async Task<AutoReloadView> IAppPaymentsGrain.ConfigureAutoReload(AutoReloadSettings settings, string userId)
    {
        // W4: switching it off stays possible, so that an Enterprise workspace can stop what its contract now covers.
        if (settings.Enabled)
            await RequireSelfServiceAsync();
        else
            RequireApp();
        var s = state.State;
        if (settings.Enabled)
        {
            if (s.CompletedPurchases == 0)
                throw BillingException.Conflict("auto-reload.no-purchase", "Auto-reload can be switched on only after a completed purchase (A1).");
            if (settings.AmountUsd is not { } amount || PaymentRules.AmountProblem(amount, Options.MinimumReloadUsd, Options.MaximumPurchaseUsd) is not null)
                throw BillingException.Invalid("amountUsd", "auto-reload.amount.invalid", $"The reload amount is ${Options.MinimumReloadUsd:0.00} to ${Options.MaximumPurchaseUsd:0.00}, in cents.");
            if (settings.MinimumBalanceUsd is not { } minimum || minimum < 0m || minimum > Options.MaximumPurchaseUsd || decimal.Round(minimum, 2) != minimum)
                throw BillingException.Invalid("minimumBalanceUsd", "auto-reload.minimum.invalid", "The minimum credit to maintain is 0 or more, in cents.");
            var method = RequireMethod(settings.PaymentMethodId);
            if (method.Kind == PaymentMethodKind.WireTransfer)
                throw BillingException.Invalid("paymentMethodId", "auto-reload.method.invalid", "Auto-reload charges a card or PayPal, never a wire transfer.");
        }

        var next = settings.Enabled ? settings : new AutoReloadSettings(false, s.AutoReload.AmountUsd, s.AutoReload.MinimumBalanceUsd, s.AutoReload.PaymentMethodId);
        if (next == s.AutoReload)
            return AutoReloadView();
        s.AutoReload = next;
        s.ReloadFailedAttempts = 0;
        s.ReloadNextRetryAt = null;
        s.ReloadLastFailure = null;
        s.AutoReloadVersion++;
        await state.WriteStateAsync();
        await WatchAsync();

        // A4: enabled and disabled each have their email.
        var app = RequireApp();
        await events.Publish(new AutoReloadChanged
        {
            EventId = $"auto-reload:{AppId}:{s.AutoReloadVersion}",
            WorkspaceId = app.WorkspaceId,
            OccurredAt = await NowAsync(),
            AppId = AppId,
            AppName = app.Name,
            AutoReload = Summary(),
            PaymentMethod = next.PaymentMethodId is { } id && s.Methods.TryGetValue(id, out var m) ? m.Summary : null,
        });
        if (next.Enabled)
            await CheckBalanceAsync();
        return AutoReloadView();
    }

    Task<AutoReloadView> IAppPaymentsGrain.GetAutoReload()
    {
        RequireApp();
        return Task.FromResult(AutoReloadView());
    }

    async Task IAppPaymentsGrain.PaidBalanceLow()
    {
        if (_app is null)
            return;
        await CheckBalanceAsync();
    }

    Task<ChargeableMethod> IAppPaymentsGrain.GetChargeableMethod(string paymentMethodId)
    {
        RequireApp();
        var method = RequireMethod(paymentMethodId);
        return Task.FromResult(new ChargeableMethod(method.Id, method.Token, method.Summary));
    }

    async Task IAppPaymentsGrain.RunDue()
    {
        if (_app is null)
            return;
        await RunDueAsync();
    }

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        // A tick only wakes the grain: persisted due dates decide, so a missed or doubled tick changes nothing.
        if (reminderName == DueReminder && _app is not null)
            await RunDueAsync();
    }

    private async Task RunDueAsync()
    {
        var now = await NowAsync();
        if (AbandonExpiredOtps(now))
            await state.WriteStateAsync();
        await ResumeChargesAsync();
        if (state.State.ReloadNextRetryAt is { } retryAt && now >= retryAt)
            await CheckBalanceAsync();
        await SendCardExpiryNoticesAsync(now);
        await ScheduleAsync(now);
    }

    /// <summary>
    /// A2, A3, A5: reads the paid balance and decides: one reload when it is below the minimum (and none is in flight
    /// or waiting for its retry time), and the low-balance alert once per crossing when auto-reload is off or failing.
    /// </summary>
    private async Task CheckBalanceAsync()
    {
        var s = state.State;
        var balance = (await Wallet.GetBalance()).PaidUsd;
        var now = await NowAsync();
        if (balance > Options.LowBalanceLimitUsd && s.LowBalanceAlerted)
        {
            s.LowBalanceAlerted = false;
            await state.WriteStateAsync();
        }

        var settings = s.AutoReload;
        var retryWaiting = s.ReloadFailedAttempts > 0 && (s.ReloadNextRetryAt is not { } retryAt || now < retryAt);
        if (settings.Enabled && s.ReloadInFlight is null && !retryWaiting && AutoReloadRules.ReloadDue(balance, settings.MinimumBalanceUsd!.Value)
            && await WorkspaceTypeAsync() != WorkspaceType.Enterprise && s.Methods.TryGetValue(settings.PaymentMethodId!, out var method))
        {
            var record = new PaymentRecord
            {
                Id = $"reload-{++s.ReloadSequence}",
                Purpose = PaymentPurpose.AutoReload,
                Method = method.Kind,
                MethodId = method.Id,
                MethodDisplay = method.Display,
                AmountUsd = settings.AmountUsd!.Value,
                Status = PaymentStatus.Charging,
                CreatedAt = now,
            };
            s.Payments[record.Id] = record;
            s.ReloadInFlight = record.Id;
            await state.WriteStateAsync();
            await ChargeAsync(record);
            balance = (await Wallet.GetBalance()).PaidUsd;
        }

        var healthy = s.AutoReload.Enabled && s.ReloadFailedAttempts == 0;
        if (AutoReloadRules.LowBalanceAlertDue(balance, Options.LowBalanceLimitUsd, healthy, s.LowBalanceAlerted))
        {
            s.LowBalanceAlerted = true;
            s.LowBalanceCrossings++;
            await state.WriteStateAsync();
            var app = RequireApp();
            await events.Publish(new LowBalanceReached
            {
                EventId = $"low-balance:{AppId}:{s.LowBalanceCrossings}",
                WorkspaceId = app.WorkspaceId,
                OccurredAt = now,
                AppId = AppId,
                AppName = app.Name,
                BalanceUsd = balance,
                LimitUsd = Options.LowBalanceLimitUsd,
            });
        }
    }

    /// <summary>Charges a payment persisted as Charging, with its id as the gateway's idempotency key, and records the outcome.</summary>
    private async Task ChargeAsync(PaymentRecord record)
    {
        var method = state.State.Methods.GetValueOrDefault(record.MethodId ?? "");
        var result = method is null
            ? new ChargeResult(ChargeOutcome.Declined, null, "The payment method was removed.")
            : await gateway.Charge($"{AppId}:{record.Id}", method.Token, record.AmountUsd, $"{record.Purpose} of app {AppId}");
        if (result.Succeeded)
        {
            record.ChargeId = result.ChargeId;
            await CompleteAsync(record);
            return;
        }

        var now = await NowAsync();
        Fail(record, result.Outcome.ToString(), now);
        if (record.Purpose == PaymentPurpose.AutoReload)
        {
            var s = state.State;
            s.ReloadFailedAttempts++;
            s.ReloadLastFailure = result.Message ?? result.Outcome.ToString();
            s.ReloadNextRetryAt = AutoReloadRules.NextRetryAt(now, s.ReloadFailedAttempts, Options.ReloadRetrySchedule);
            metrics.Reload("failed");
            LogReloadFailed(AppId, record.Id, record.Method, record.AmountUsd, s.ReloadFailedAttempts, s.ReloadNextRetryAt, s.ReloadLastFailure);
        }

        await state.WriteStateAsync();
        if (record.Purpose == PaymentPurpose.AutoReload)
        {
            // A3: the failure email of the method's kind; the retry is scheduled above.
            var app = RequireApp();
            await events.Publish(new AutoReloadFailed
            {
                EventId = $"reload-failed:{AppId}:{record.Id}",
                WorkspaceId = app.WorkspaceId,
                OccurredAt = now,
                AppId = AppId,
                AppName = app.Name,
                PaymentMethod = new PaymentMethodSummary(record.Method, record.MethodDisplay),
                AmountUsd = record.AmountUsd,
                AttemptedAt = now,
                Plan = app.Plan.ToString(),
                FailureReason = result.Message ?? result.Outcome.ToString(),
            });
            await ScheduleAsync(now);
        }
    }

    /// <summary>The money arrived: credit, invoice, events, then the payment is done. Every step is idempotent on the payment id.</summary>
    private async Task CompleteAsync(PaymentRecord record)
    {
        var app = RequireApp();
        var s = state.State;
        var reload = record.Purpose == PaymentPurpose.AutoReload;
        var credit = await Wallet.CreditPayment($"{AppId}:{record.Id}", reload ? LedgerEntryKind.Reload : LedgerEntryKind.Purchase, record.AmountUsd, record.ChargeId ?? record.Id);
        var now = await NowAsync();
        var item = reload ? "Auto-reload of paid credits" : "Paid credits";
        var invoice = await GrainFactory.GetGrain<IInvoiceSequenceGrain>(0).Issue(new InvoiceDraft(
            $"payment:{AppId}:{record.Id}", app.WorkspaceId, AppId, app.Name,
            reload ? InvoiceSubject.AutoReload : InvoiceSubject.CreditPurchase, $"{app.Plan} plan", record.AmountUsd,
            [new InvoiceLine(item, 1, record.AmountUsd, record.AmountUsd)], record.MethodDisplay, now));

        // Before the final write: after a crash the event is raised again under the same id, which E2 makes harmless.
        await events.Publish(new CreditsPurchased
        {
            EventId = $"purchase:{AppId}:{record.Id}",
            WorkspaceId = app.WorkspaceId,
            OccurredAt = now,
            AppId = AppId,
            AppName = app.Name,
            IsAutoReload = reload,
            PurchasedByUserId = record.UserId,
            PreviousBalanceUsd = credit.PreviousBalanceUsd,
            OrderAmountUsd = record.AmountUsd,
            CurrentBalanceUsd = credit.BalanceUsd,
            AutoReload = Summary(),
            PaymentMethod = new PaymentMethodSummary(record.Method, record.MethodDisplay),
        });

        record.Status = PaymentStatus.Succeeded;
        record.InvoiceNumber = invoice.Number;
        record.CompletedAt = now;
        if (s.InProgressPaymentId == record.Id)
            s.InProgressPaymentId = null;
        if (reload)
        {
            s.ReloadInFlight = null;
            s.ReloadFailedAttempts = 0;
            s.ReloadNextRetryAt = null;
            s.ReloadLastFailure = null;
            s.CompletedReloads++;
        }
        else
        {
            s.CompletedPurchases++;
        }

        if (credit.BalanceUsd > Options.LowBalanceLimitUsd)
            s.LowBalanceAlerted = false;
        await state.WriteStateAsync();
        metrics.Payment(record.Method.ToString(), "succeeded");
        if (reload)
            metrics.Reload("succeeded");
        await WatchAsync();
    }

    private void Fail(PaymentRecord record, string reason, DateTimeOffset now)
    {
        metrics.Payment(record.Method.ToString(), "failed");
        LogPaymentFailed(AppId, record.Id, record.Purpose, record.Method, record.AmountUsd, reason);
        record.Status = PaymentStatus.Failed;
        record.FailureReason = reason;
        record.CompletedAt = now;
        if (state.State.InProgressPaymentId == record.Id)
            state.State.InProgressPaymentId = null;
        if (state.State.ReloadInFlight == record.Id)
            state.State.ReloadInFlight = null;
    }

    private async Task ResumeChargesAsync()
    {
        foreach (var record in state.State.Payments.Values.Where(p => p.Status == PaymentStatus.Charging).ToList())
            await ChargeAsync(record);
    }

    /// <summary>M1: a card payment whose OTP never came stops blocking others. True when something changed.</summary>
    private bool AbandonExpiredOtps(DateTimeOffset now)
    {
        var changed = false;
        foreach (var record in state.State.Payments.Values.Where(p => p.Status == PaymentStatus.RequiresOtp && p.OtpDeadline <= now))
        {
            record.Status = PaymentStatus.Abandoned;
            record.FailureReason = "otp_timeout";
            metrics.Payment(record.Method.ToString(), "abandoned");
            record.CompletedAt = now;
            if (state.State.InProgressPaymentId == record.Id)
                state.State.InProgressPaymentId = null;
            changed = true;
        }

        return changed;
    }

    /// <summary>M3: the notice 30 days before a stored card expires and the one when it has, each once per card.</summary>
    private async Task SendCardExpiryNoticesAsync(DateTimeOffset now)
    {
        var app = RequireApp();
        foreach (var card in state.State.Methods.Values.Where(m => m.Kind == PaymentMethodKind.Card && m.ExpiryMonth is not null).ToList())
        {
            var month = card.ExpiryMonth!.Value;
            var year = card.ExpiryYear!.Value;
            bool expired;
            if (!card.ExpiredNoticeSent && now >= PaymentRules.ExpiresAt(month, year))
                expired = true;
            else if (!card.ExpiringNoticeSent && !card.ExpiredNoticeSent && now >= PaymentRules.ExpiryNoticeAt(month, year))
                expired = false;
            else
                continue;

            await events.Publish(new PaymentMethodExpiry
            {
                EventId = $"{(expired ? "card-expired" : "card-expiring")}:{AppId}:{card.Id}",
                WorkspaceId = app.WorkspaceId,
                OccurredAt = now,
                AppId = AppId,
                AppName = app.Name,
                OwnerUserId = app.OwnerUserId,
                PaymentMethod = card.Summary,
                ExpiresOn = DateOnly.FromDateTime(PaymentRules.ExpiresAt(month, year).UtcDateTime.AddDays(-1)),
                HasExpired = expired,
            });
            card.ExpiringNoticeSent = true;
            card.ExpiredNoticeSent |= expired;
            await state.WriteStateAsync();
            // The method id and expiry only: never a card number (only the last 4 are kept, and not logged either).
            LogCardExpiryNotice(AppId, card.Id, expired ? "expired" : "expiring", month, year);
        }
    }

    /// <summary>Arms the reminder for the earliest thing due (a tick only wakes the grain), or removes it when nothing is.</summary>
    private async Task ScheduleAsync(DateTimeOffset now)
    {
        var s = state.State;
        var due = new List<DateTimeOffset>();
        due.AddRange(s.Payments.Values.Where(p => p.Status == PaymentStatus.RequiresOtp && p.OtpDeadline is not null).Select(p => p.OtpDeadline!.Value));
        if (s.Payments.Values.Any(p => p.Status == PaymentStatus.Charging))
            due.Add(now);
        if (s.ReloadNextRetryAt is { } retry)
            due.Add(retry);
        foreach (var card in s.Methods.Values.Where(m => m.Kind == PaymentMethodKind.Card && m.ExpiryMonth is not null && !m.ExpiredNoticeSent))
            due.Add(card.ExpiringNoticeSent ? PaymentRules.ExpiresAt(card.ExpiryMonth!.Value, card.ExpiryYear!.Value) : PaymentRules.ExpiryNoticeAt(card.ExpiryMonth!.Value, card.ExpiryYear!.Value));

        if (due.Count == 0)
        {
            if (await this.GetReminder(DueReminder) is { } reminder)
                await this.UnregisterReminder(reminder);
            return;
        }

        var wait = due.Min() - now;
        await this.RegisterOrUpdateReminder(DueReminder, wait > TimeSpan.FromMinutes(1) ? wait : TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));
    }

    /// <summary>Tells the wallet the balance to watch: the reload minimum when auto-reload is on, else the low-balance limit.</summary>
    private async Task WatchAsync()
    {
        var s = state.State;
        var limit = AutoReloadRules.WatchLimit(s.AutoReload.Enabled, s.AutoReload.MinimumBalanceUsd ?? 0m, Options.LowBalanceLimitUsd);
        if (s.WatchedLimitUsd == limit)
            return;
        await Wallet.WatchPaidBalance(limit);
        s.WatchedLimitUsd = limit;
        await state.WriteStateAsync();
    }

    private AutoReloadSummary Summary()
    {
        var a = state.State.AutoReload;
        return new AutoReloadSummary(a.Enabled, a.AmountUsd, a.MinimumBalanceUsd);
    }

    private AutoReloadView AutoReloadView()
    {
        var s = state.State;
        return new AutoReloadView(s.AutoReload, s.ReloadInFlight, s.ReloadFailedAttempts, s.ReloadNextRetryAt, s.ReloadLastFailure, s.CompletedReloads);
    }

    /// <summary>W4: Enterprise workspaces are billed by contract: no funds, reloads or method changes of their own.</summary>
    private async Task RequireSelfServiceAsync()
    {
        RequireApp();
        if (await WorkspaceTypeAsync() == WorkspaceType.Enterprise)
            throw BillingException.Forbidden("workspace.enterprise.contract-billed", "This is an Enterprise workspace: its contract bills it, so funds, reloads and payment methods are managed by support (W4).");
    }

    private async Task<WorkspaceType> WorkspaceTypeAsync()
    {
        var app = RequireApp();
        var workspace = await GrainFactory.GetGrain<IWorkspaceGrain>(app.WorkspaceId).GetForMember(app.OwnerUserId);
        return workspace?.Type ?? WorkspaceType.Standard;
    }

    private async Task<DateTimeOffset> NowAsync() => await time.NowAsync(RequireApp().WorkspaceId);

    private AppView RequireApp() =>
        _app ?? throw BillingException.NotFound("app.not-found", $"App '{AppId}' was not found.");

    private StoredPaymentMethod RequireMethod(string? paymentMethodId) =>
        paymentMethodId is not null && state.State.Methods.TryGetValue(paymentMethodId, out var method)
            ? method
            : throw BillingException.Invalid("paymentMethodId", "payment-method.not-found", $"App '{AppId}' has no payment method '{paymentMethodId}'.");

    private PaymentRecord RequirePayment(string paymentId) =>
        state.State.Payments.TryGetValue(paymentId, out var record)
            ? record
            : throw BillingException.NotFound("payment.not-found", $"Payment '{paymentId}' was not found.");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Payments of app {AppId}: finishing an interrupted charge failed; the next tick retries it")]
    private partial void LogResumeFailed(Exception exception, string appId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "AppPaymentsGrain {AppId}: payment {PaymentId} ({Purpose}, {Method}, {AmountUsd} USD) failed: {Reason}")]
    private partial void LogPaymentFailed(string appId, string paymentId, PaymentPurpose purpose, PaymentMethodKind method, decimal amountUsd, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "AppPaymentsGrain {AppId}: auto-reload {PaymentId} ({Method}, {AmountUsd} USD) failed, attempt {Attempt}; next attempt at {NextAttemptAt}: {Reason}")]
    private partial void LogReloadFailed(string appId, string paymentId, PaymentMethodKind method, decimal amountUsd, int attempt, DateTimeOffset? nextAttemptAt, string? reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "AppPaymentsGrain {AppId}: card {PaymentMethodId} {Notice} notice sent (expires end of {ExpiryMonth}/{ExpiryYear})")]
    private partial void LogCardExpiryNotice(string appId, string paymentMethodId, string notice, int expiryMonth, int expiryYear);
}
