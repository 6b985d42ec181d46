using Billing.Apps;
using Billing.Errors;
using Billing.Notifications;
using Billing.Rules;
using Billing.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Billing.Payments;

/// <summary>
/// One app's purchases (M1, M2). Non-reentrant on purpose: "a payment in progress" is decided with the whole state in
/// hand, and concurrent requests queue. A charge goes: persist the payment as Charging → <see cref="PaymentSaga"/>
/// (gateway, wallet, invoice, event, each idempotent on the payment id) → write the outcome to the <c>Payments</c> table →
/// drop it from the open payments. A crash anywhere leaves it Charging in state, and the next turn finishes it under
/// the same keys: one charge, one credit. Finished payments live in the table only, so the state does not grow.
/// </summary>
public sealed partial class AppPaymentsGrain(
    [PersistentState("app-payments", StorageNames.Billing)] IPersistentState<AppPaymentsState> state,
    PaymentSaga saga,
    PaymentHistory history,
    IPaymentGateway gateway,
    WorkspaceTime time,
    IOptions<PaymentsOptions> options,
    BillingMetrics metrics,
    ILogger<AppPaymentsGrain> logger) : Grain, IAppPaymentsGrain, IAppPaymentsMigration, IRemindable
{
    private const string DueReminder = "payments-due";
    private AppView? _app;

    private string AppId => this.GetPrimaryKeyString();

    private PaymentsOptions Options => options.Value;

    private IPaymentMethodsGrain Vault => GrainFactory.GetGrain<IPaymentMethodsGrain>(AppId);

    private IAutoReloadGrain AutoReload => GrainFactory.GetGrain<IAutoReloadGrain>(AppId);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _app = await GrainFactory.GetGrain<IAppGrain>(AppId).Get();
        if (_app is null)
            return;
        await MoveSettledPaymentsAsync(cancellationToken);
        // Nothing here calls the vault or auto-reload: their activation asks this grain for their part of an old state
        // (IAppPaymentsMigration), which would wait for this activation. An interrupted charge is finished by the first
        // turn instead (a call, this timer, or the reminder).
        if (state.State.OpenPayments.Values.Any(p => p.Status == PaymentStatus.Charging) || state.State.HoldsLegacyParts)
            this.RegisterGrainTimer(async _ => await RunDueAsync(), TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// A state from before the payments table kept every payment: they move to the table, and only the open ones stay.
    /// Upserts, so a crash in the middle is redone whole by the next activation.
    /// </summary>
    private async Task MoveSettledPaymentsAsync(CancellationToken cancellationToken)
    {
        var s = state.State;
        var moving = s.OpenPayments.Values.Where(p => !IsOpenPurchase(p)).ToList();
        if (moving.Count == 0)
            return;
        await history.SaveAllAsync(AppId, s.OpenPayments.Values, cancellationToken);
        foreach (var record in moving)
            s.OpenPayments.Remove(record.Id);
        await state.WriteStateAsync(cancellationToken);
        LogMovedToTable(AppId, moving.Count);
    }

    /// <summary>What stays in state: a purchase awaiting its OTP or being charged. Reloads are the auto-reload grain's.</summary>
    private static bool IsOpenPurchase(PaymentRecord p) =>
        p.Purpose == PaymentPurpose.Purchase && p.Status is PaymentStatus.RequiresOtp or PaymentStatus.Charging;

    async Task<PaymentView> IAppPaymentsGrain.AddFunds(AddFunds command)
    {
        var app = RequireApp();
        await ResumeChargesAsync();
        if (await FindAsync(command.PaymentId) is { } earlier)
        {
            // A retry of the same request answers the same payment.
            if (!PurchaseRules.IsSameRequest(earlier.AmountUsd, earlier.Method, earlier.MethodId, command.AmountUsd, command.Method, command.PaymentMethodId))
                throw BillingException.Conflict("payment.id.reused", $"Payment '{command.PaymentId}' was made with other details.");
            return earlier.View(AppId);
        }

        await AppScope.RequireSelfServiceAsync(GrainFactory, app);
        if (PaymentRules.AmountProblem(command.AmountUsd, Options.MinimumPurchaseUsd, Options.MaximumPurchaseUsd) is { } problem)
            throw BillingException.Invalid("amountUsd", "payment.amount.invalid", problem);
        var now = await NowAsync();
        await AbandonExpiredOtpsAsync(now);

        var stored = await Vault.GetPaymentMethods();
        var (kind, methodId) = PaymentRules.ChooseMethod(command.Method, command.PaymentMethodId, [.. stored.Select(m => (m.Id, m.Kind))]);
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
            // M2: registered as pending with the total to transfer; it blocks nothing and credits nothing until it
            // clears, so it needs no place in state: the table holds it.
            record.Status = PaymentStatus.AwaitingTransfer;
            record.MethodDisplay = "Wire transfer";
            record.WireReference = $"WIRE-{app.Id}-{command.PaymentId}";
            await history.SaveAsync(AppId, record);
            metrics.Payment(nameof(PaymentMethodKind.WireTransfer), "pending");
            return record.View(AppId);
        }

        var method = await Vault.GetChargeableMethod(methodId!);
        if (state.State.InProgressPaymentId is { } busy)
            throw BillingException.Conflict("payment.in-progress", $"The previous payment ({busy}) is still in progress; finish it or wait for it first.");

        record.MethodId = method.PaymentMethodId;
        record.MethodDisplay = method.Summary.Display;
        state.State.InProgressPaymentId = record.Id;
        state.State.OpenPayments[record.Id] = record;
        if (kind == PaymentMethodKind.Card)
        {
            // M1: a card payment is verified by a one-time password before it is charged.
            record.Status = PaymentStatus.RequiresOtp;
            record.OtpDeadline = now + Options.OtpTimeout;
            await state.WriteStateAsync();
            await history.SaveAsync(AppId, record);
            metrics.Payment(record.Method.ToString(), "requires_otp");
            await ScheduleAsync(now);
            return record.View(AppId);
        }

        record.Status = PaymentStatus.Charging;
        await state.WriteStateAsync();
        await history.SaveAsync(AppId, record);
        await ChargeAsync(record, method);
        return record.View(AppId);
    }

    async Task<PaymentView> IAppPaymentsGrain.ConfirmOtp(string paymentId, string code)
    {
        RequireApp();
        await ResumeChargesAsync();
        var record = await RequirePaymentAsync(paymentId);
        if (record.Status is PaymentStatus.Succeeded or PaymentStatus.Failed)
            return record.View(AppId);
        if (record.Status == PaymentStatus.Charging && state.State.OpenPayments.ContainsKey(record.Id))
        {
            // Its resume above failed: try once more, in this caller's turn, so that the caller sees why.
            await ChargeAsync(record, await Vault.FindChargeableMethod(record.MethodId ?? ""));
            return record.View(AppId);
        }

        if (record.Status != PaymentStatus.RequiresOtp || !state.State.OpenPayments.ContainsKey(record.Id))
            throw BillingException.Conflict("payment.otp.not-expected", $"Payment '{paymentId}' is {record.Status}: it takes no OTP.");
        var now = await NowAsync();
        if (await AbandonExpiredOtpsAsync(now))
            throw BillingException.Conflict("payment.otp.expired", "The time for the OTP ran out; the payment was abandoned.");

        var method = await Vault.GetChargeableMethod(record.MethodId!);
        if (!await gateway.VerifyOtp(method.Token, record.Id, code ?? ""))
        {
            Fail(record, "otp_failed", now);
            await SettleAsync(record);
            return record.View(AppId);
        }

        record.Status = PaymentStatus.Charging;
        await state.WriteStateAsync();
        await history.SaveAsync(AppId, record);
        await ChargeAsync(record, method);
        return record.View(AppId);
    }

    async Task<PaymentView> IAppPaymentsGrain.ClearWireTransfer(string paymentId, decimal amountUsd, string clearedBy)
    {
        RequireApp();
        var record = await RequirePaymentAsync(paymentId);
        if (record.Method != PaymentMethodKind.WireTransfer)
            throw BillingException.Invalid("paymentId", "payment.not-a-wire", $"Payment '{paymentId}' is not a wire transfer.");
        if (record.Status == PaymentStatus.Succeeded)
        {
            // A clearing interrupted between its table write and its state write left the purchase uncounted (A1).
            if (state.State.CompletedPurchases == 0)
            {
                state.State.CompletedPurchases = 1;
                await state.WriteStateAsync();
            }

            return record.View(AppId);
        }

        if (amountUsd != record.AmountUsd)
            throw BillingException.Invalid("amountUsd", "wire.amount.mismatch", $"The transfer of ${amountUsd} does not match the order's ${record.AmountUsd}.");
        record.ChargeId = $"wire:{clearedBy}";
        await CompleteAsync(record);
        return record.View(AppId);
    }

    async Task<PaymentView?> IAppPaymentsGrain.GetPayment(string paymentId)
    {
        RequireApp();
        await ResumeChargesAsync();
        return (await FindAsync(paymentId))?.View(AppId);
    }

    async Task<IReadOnlyList<PaymentView>> IAppPaymentsGrain.GetPayments()
    {
        RequireApp();
        await ResumeChargesAsync();
        var all = new List<PaymentView>();
        string? continuation = null;
        do
        {
            var page = await PageAsync(PaymentHistory.MaxPage, continuation);
            all.AddRange(page.Payments);
            continuation = page.Continuation;
        }
        while (continuation is not null);
        return all;
    }

    async Task<PaymentPage> IAppPaymentsGrain.ListPayments(int limit, string? continuation)
    {
        RequireApp();
        if (limit is < 1 or > PaymentHistory.MaxPage)
            throw BillingException.Invalid("limit", "payments.limit.invalid", $"A page holds 1 to {PaymentHistory.MaxPage} payments.");
        return await PageAsync(limit, continuation);
    }

    /// <summary>A page from the table; an open payment's state here is the newer one (its row is written just after).</summary>
    private async Task<PaymentPage> PageAsync(int limit, string? continuation)
    {
        var (records, next) = await history.PageAsync(AppId, limit, continuation);
        return new PaymentPage([.. records.Select(r => (state.State.OpenPayments.GetValueOrDefault(r.Id) ?? r).View(AppId))], next);
    }

    Task<bool> IAppPaymentsGrain.HasCompletedPurchase() => Task.FromResult(state.State.CompletedPurchases > 0);

    Task IAppPaymentsGrain.PaidBalanceLow() => _app is null ? Task.CompletedTask : AutoReload.PaidBalanceLow();

    Task<ChargeableMethod> IAppPaymentsGrain.GetChargeableMethod(string paymentMethodId) => Vault.GetChargeableMethod(paymentMethodId);

    async Task IAppPaymentsGrain.RunDue()
    {
        if (_app is not null)
            await RunDueAsync();
    }

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        // A tick only wakes the grain: persisted due dates decide, so a missed or doubled tick changes nothing.
        if (reminderName == DueReminder && _app is not null)
            await RunDueAsync();
    }

    Task<LegacyVault> IAppPaymentsMigration.TakeVault() => Task.FromResult(state.State.TakeVault());

    async Task IAppPaymentsMigration.VaultTaken()
    {
        if (state.State.LegacyMethods.Count == 0 && state.State.LegacyMethodSequence == 0)
            return;
        state.State.ForgetVault();
        await state.WriteStateAsync();
    }

    Task<LegacyAutoReload?> IAppPaymentsMigration.TakeAutoReload() => Task.FromResult(state.State.TakeAutoReload());

    async Task IAppPaymentsMigration.AutoReloadTaken()
    {
        if (state.State.LegacyAutoReload is null)
            return;
        state.State.ForgetAutoReload();
        await state.WriteStateAsync();
    }

    private async Task RunDueAsync()
    {
        var now = await NowAsync();
        await AbandonExpiredOtpsAsync(now);
        await ResumeChargesAsync();
        if (state.State.HoldsLegacyParts)
        {
            // An old state's methods and auto-reload have due dates of their own (card notices, reload retries): waking
            // their grains makes them take their part over and arm their own reminders.
            await Vault.RunDue();
            await AutoReload.RunDue();
        }

        await ScheduleAsync(now);
    }

    /// <summary>Charges a payment persisted as Charging, with its id as the gateway's idempotency key, and records the outcome.</summary>
    private async Task ChargeAsync(PaymentRecord record, ChargeableMethod? method)
    {
        var result = await saga.ChargeAsync(AppId, record, method);
        if (result.Succeeded)
        {
            record.ChargeId = result.ChargeId;
            await CompleteAsync(record);
            return;
        }

        Fail(record, result.Outcome.ToString(), await NowAsync());
        await SettleAsync(record);
    }

    /// <summary>The money arrived: credit, invoice, event (each idempotent on the payment id), then the payment is done.</summary>
    private async Task CompleteAsync(PaymentRecord record)
    {
        var credit = await saga.CompleteAsync(RequireApp(), record, await AutoReload.GetSummary(), await NowAsync());
        state.State.CompletedPurchases++;
        await SettleAsync(record);
        // A5: a purchase that lifts the balance above the low-balance limit re-arms the alert for the next crossing, and
        // the wallet watches the balance from the first purchase on.
        await AutoReload.PurchaseCompleted(credit.BalanceUsd);
    }

    private void Fail(PaymentRecord record, string reason, DateTimeOffset now)
    {
        LogPaymentFailed(AppId, record.Id, record.Purpose, record.Method, record.AmountUsd, reason);
        saga.Fail(record, reason, now);
    }

    /// <summary>
    /// A payment reached its end: its row first, then it leaves the state. A crash between the two leaves it open
    /// here, and the next turn runs the same idempotent steps again.
    /// </summary>
    private async Task SettleAsync(PaymentRecord record)
    {
        await history.SaveAsync(AppId, record);
        var s = state.State;
        s.OpenPayments.Remove(record.Id);
        if (s.InProgressPaymentId == record.Id)
            s.InProgressPaymentId = null;
        await state.WriteStateAsync();
    }

    /// <summary>Finishes charges a crash interrupted, under the same keys (the gateway and the wallet replay).</summary>
    private async Task ResumeChargesAsync()
    {
        foreach (var record in state.State.OpenPayments.Values.Where(p => p.Status == PaymentStatus.Charging).ToList())
        {
            try
            {
                await ChargeAsync(record, await Vault.FindChargeableMethod(record.MethodId ?? ""));
            }
            catch (Exception e) when (e is not BillingException)
            {
                LogResumeFailed(e, AppId);
            }
        }
    }

    /// <summary>M1: a card payment whose OTP never came stops blocking others. True when one was abandoned.</summary>
    private async Task<bool> AbandonExpiredOtpsAsync(DateTimeOffset now)
    {
        var expired = state.State.OpenPayments.Values.Where(p => p.Status == PaymentStatus.RequiresOtp && p.OtpDeadline <= now).ToList();
        foreach (var record in expired)
        {
            record.Status = PaymentStatus.Abandoned;
            record.FailureReason = "otp_timeout";
            record.CompletedAt = now;
            metrics.Payment(record.Method.ToString(), "abandoned");
            await SettleAsync(record);
        }

        return expired.Count > 0;
    }

    /// <summary>Arms the reminder for the earliest thing due (a tick only wakes the grain), or removes it when nothing is.</summary>
    private async Task ScheduleAsync(DateTimeOffset now)
    {
        var s = state.State;
        var due = s.OpenPayments.Values.Where(p => p.Status == PaymentStatus.RequiresOtp && p.OtpDeadline is not null).Select(p => p.OtpDeadline!.Value).ToList();
        if (s.OpenPayments.Values.Any(p => p.Status == PaymentStatus.Charging) || s.HoldsLegacyParts)
            due.Add(now);
        if (due.Count == 0)
        {
            if (await this.GetReminder(DueReminder) is { } reminder)
                await this.UnregisterReminder(reminder);
            return;
        }

        var wait = due.Min() - now;
        await this.RegisterOrUpdateReminder(DueReminder, wait > TimeSpan.FromMinutes(1) ? wait : TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));
    }

    /// <summary>An open payment from state, else any payment from the table.</summary>
    private async Task<PaymentRecord?> FindAsync(string paymentId) =>
        state.State.OpenPayments.GetValueOrDefault(paymentId) ?? await history.GetAsync(AppId, paymentId);

    private async Task<PaymentRecord> RequirePaymentAsync(string paymentId) =>
        await FindAsync(paymentId) ?? throw BillingException.NotFound("payment.not-found", $"Payment '{paymentId}' was not found.");

    private async Task<DateTimeOffset> NowAsync() => await time.NowAsync(RequireApp().WorkspaceId);

    private AppView RequireApp() => AppScope.Require(_app, AppId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "AppPaymentsGrain {AppId}: finishing an interrupted charge failed; the next turn or tick retries it")]
    private partial void LogResumeFailed(Exception exception, string appId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "AppPaymentsGrain {AppId}: payment {PaymentId} ({Purpose}, {Method}, {AmountUsd} USD) failed: {Reason}")]
    private partial void LogPaymentFailed(string appId, string paymentId, PaymentPurpose purpose, PaymentMethodKind method, decimal amountUsd, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "AppPaymentsGrain {AppId}: {Count} payment(s) of the state before the payments table moved to it")]
    private partial void LogMovedToTable(string appId, int count);
}
