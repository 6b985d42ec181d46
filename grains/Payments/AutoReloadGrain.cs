using Billing.Apps;
using Billing.Errors;
using Billing.Notifications;
using Billing.Rules;
using Billing.Telemetry;
using Billing.Wallets;
using Billing.Workspaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Billing.Payments;

/// <summary>
/// One app's auto-reload (A1-A5). Non-reentrant on purpose: "is a reload in flight?" is decided with the whole state in
/// hand, so concurrent or doubled low-balance notices start one reload. A reload is a payment <c>reload-{n}</c>: persisted
/// here as in flight before the gateway is called, charged by <see cref="PaymentSaga"/> under its id, written to the
/// <c>Payments</c> table when it ends. A crash in between is finished by the next activation under the same keys.
/// </summary>
public sealed partial class AutoReloadGrain(
    [PersistentState("auto-reload", StorageNames.Billing)] IPersistentState<AutoReloadState> state,
    PaymentSaga saga,
    PaymentHistory history,
    WorkspaceTime time,
    IBillingEventSink events,
    IOptions<PaymentsOptions> options,
    BillingMetrics metrics,
    ILogger<AutoReloadGrain> logger) : Grain, IAutoReloadGrain, IRemindable
{
    private const string DueReminder = "auto-reload-due";
    private AppView? _app;

    private string AppId => this.GetPrimaryKeyString();

    private PaymentsOptions Options => options.Value;

    private IAppWalletGrain Wallet => GrainFactory.GetGrain<IAppWalletGrain>(AppId);

    private IPaymentMethodsGrain Vault => GrainFactory.GetGrain<IPaymentMethodsGrain>(AppId);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _app = await GrainFactory.GetGrain<IAppGrain>(AppId).Get();
        if (_app is null)
            return;
        if (!state.State.Imported)
            await ImportLegacyAsync(cancellationToken);
        if (state.State.InFlight is null)
            return;
        // A reload interrupted by a crash is finished first, under the same keys (the gateway and the wallet replay).
        try
        {
            await ResumeAsync();
        }
        catch (Exception e) when (e is not BillingException)
        {
            LogResumeFailed(e, AppId);
        }
    }

    /// <summary>Takes over auto-reload's part of a state from before the split, once (see <see cref="AppPaymentsState"/>).</summary>
    private async Task ImportLegacyAsync(CancellationToken cancellationToken)
    {
        var migration = GrainFactory.GetGrain<IAppPaymentsMigration>(AppId);
        var s = state.State;
        if (await migration.TakeAutoReload() is { } legacy)
        {
            s.Settings = legacy.Settings;
            s.Version = legacy.Version;
            s.ReloadSequence = legacy.ReloadSequence;
            s.FailedAttempts = legacy.FailedAttempts;
            s.NextRetryAt = legacy.NextRetryAt;
            s.LastFailure = legacy.LastFailure;
            s.LowBalanceAlerted = legacy.LowBalanceAlerted;
            s.LowBalanceCrossings = legacy.LowBalanceCrossings;
            s.CompletedReloads = legacy.CompletedReloads;
            s.WatchedLimitUsd = legacy.WatchedLimitUsd;
            // The payments grain moved the old state's payments to the table when it activated, before it answered.
            if (legacy.ReloadInFlight is { } inFlight)
                s.InFlight = await history.GetAsync(AppId, inFlight, cancellationToken) is { Status: PaymentStatus.Charging } record ? record : null;
        }

        s.Imported = true;
        await state.WriteStateAsync(cancellationToken);
        if (s.Settings.Enabled || s.NextRetryAt is not null || s.InFlight is not null)
        {
            LogImported(AppId, s.Settings.Enabled);
            await ScheduleAsync(await NowAsync());
        }

        await migration.AutoReloadTaken();
    }

    async Task<AutoReloadView> IAutoReloadGrain.ConfigureAutoReload(AutoReloadSettings settings, string userId)
    {
        var app = RequireApp();
        // W4: switching it off stays possible, so that an Enterprise workspace can stop what its contract now covers.
        if (settings.Enabled)
            await AppScope.RequireSelfServiceAsync(GrainFactory, app);
        var s = state.State;
        if (settings.Enabled)
        {
            if (!await GrainFactory.GetGrain<IAppPaymentsGrain>(AppId).HasCompletedPurchase())
                throw BillingException.Conflict("auto-reload.no-purchase", "Auto-reload can be switched on only after a completed purchase (A1).");
            if (ReloadDecisionRules.SettingsProblem(settings.AmountUsd, settings.MinimumBalanceUsd, Options.MinimumReloadUsd, Options.MaximumPurchaseUsd) is { } problem)
                throw BillingException.Invalid(problem.Field, problem.Code, problem.Message);
        }

        // The vault learns first which method auto-reload charges (and checks it is a stored card or PayPal method), so
        // it never lets go of a method that auto-reload may charge.
        var method = await Vault.UseForAutoReload(settings.Enabled ? settings.PaymentMethodId : null);
        var next = settings.Enabled ? settings : new AutoReloadSettings(false, s.Settings.AmountUsd, s.Settings.MinimumBalanceUsd, s.Settings.PaymentMethodId);
        if (next == s.Settings)
            return View();
        s.Settings = next;
        s.FailedAttempts = 0;
        s.NextRetryAt = null;
        s.LastFailure = null;
        s.Version++;
        await state.WriteStateAsync();
        await WatchAsync();

        // A4: enabled and disabled each have their email, which shows the method.
        if (method is null && next.PaymentMethodId is { } previous)
            method = await Vault.FindChargeableMethod(previous);
        await events.Publish(new AutoReloadChanged
        {
            EventId = $"auto-reload:{AppId}:{s.Version}",
            WorkspaceId = app.WorkspaceId,
            OccurredAt = await NowAsync(),
            AppId = AppId,
            AppName = app.Name,
            AutoReload = Summary(),
            PaymentMethod = method?.Summary,
        });
        if (next.Enabled)
            await CheckBalanceAsync();
        return View();
    }

    Task<AutoReloadView> IAutoReloadGrain.GetAutoReload()
    {
        RequireApp();
        return Task.FromResult(View());
    }

    async Task IAutoReloadGrain.PaidBalanceLow()
    {
        if (_app is null)
            return;
        await ResumeAsync();
        await CheckBalanceAsync();
    }

    async Task IAutoReloadGrain.PurchaseCompleted(decimal paidBalanceUsd)
    {
        if (_app is null)
            return;
        if (state.State.LowBalanceAlerted && paidBalanceUsd > Options.LowBalanceLimitUsd)
        {
            state.State.LowBalanceAlerted = false;
            await state.WriteStateAsync();
        }

        // A5 needs the wallet's notice even while auto-reload was never switched on: the first purchase arms it.
        await WatchAsync();
    }

    Task<AutoReloadSummary> IAutoReloadGrain.GetSummary() => Task.FromResult(Summary());

    async Task IAutoReloadGrain.RunDue()
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

    private async Task RunDueAsync()
    {
        var now = await NowAsync();
        await ResumeAsync();
        if (state.State.NextRetryAt is { } retryAt && now >= retryAt)
            await CheckBalanceAsync();
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

        var settings = s.Settings;
        if (ReloadDecisionRules.StartReload(settings.Enabled, settings.MinimumBalanceUsd ?? 0m, balance, s.InFlight is not null, s.FailedAttempts, s.NextRetryAt, now)
            && await AppScope.WorkspaceTypeAsync(GrainFactory, RequireApp()) != WorkspaceType.Enterprise
            && await Vault.FindChargeableMethod(settings.PaymentMethodId!) is { } method)
        {
            var record = new PaymentRecord
            {
                Id = $"reload-{++s.ReloadSequence}",
                Purpose = PaymentPurpose.AutoReload,
                Method = method.Summary.Kind,
                MethodId = method.PaymentMethodId,
                MethodDisplay = method.Summary.Display,
                AmountUsd = settings.AmountUsd!.Value,
                Status = PaymentStatus.Charging,
                CreatedAt = now,
            };
            s.InFlight = record;
            await state.WriteStateAsync();
            await history.SaveAsync(AppId, record);
            await ChargeAsync(record, method);
            balance = (await Wallet.GetBalance()).PaidUsd;
        }

        var healthy = s.Settings.Enabled && s.FailedAttempts == 0;
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

    /// <summary>Finishes the reload a crash (or a failed call) left in flight, under its own keys.</summary>
    private async Task ResumeAsync()
    {
        if (state.State.InFlight is { } record)
            await ChargeAsync(record, await Vault.FindChargeableMethod(record.MethodId ?? ""));
    }

    /// <summary>Charges the reload in flight, with its id as the gateway's idempotency key, and records the outcome.</summary>
    private async Task ChargeAsync(PaymentRecord record, ChargeableMethod? method)
    {
        var result = await saga.ChargeAsync(AppId, record, method);
        if (result.Succeeded)
        {
            record.ChargeId = result.ChargeId;
            await CompleteAsync(record);
            return;
        }

        var s = state.State;
        var now = await NowAsync();
        saga.Fail(record, result.Outcome.ToString(), now);
        s.FailedAttempts++;
        s.LastFailure = result.Message ?? result.Outcome.ToString();
        s.NextRetryAt = AutoReloadRules.NextRetryAt(now, s.FailedAttempts, Options.ReloadRetrySchedule);
        metrics.Reload("failed");
        LogReloadFailed(AppId, record.Id, record.Method, record.AmountUsd, s.FailedAttempts, s.NextRetryAt, s.LastFailure);
        await history.SaveAsync(AppId, record);
        s.InFlight = null;
        await state.WriteStateAsync();

        // A3: the failure email of the method's kind; the retry is scheduled below.
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
            FailureReason = s.LastFailure,
        });
        await ScheduleAsync(now);
    }

    /// <summary>The reload's money arrived: credit, invoice, event (each idempotent on its id), then it is done.</summary>
    private async Task CompleteAsync(PaymentRecord record)
    {
        var s = state.State;
        var credit = await saga.CompleteAsync(RequireApp(), record, Summary(), await NowAsync());
        // The row first: a crash before the state write leaves the reload in flight, and its resume replays every step.
        await history.SaveAsync(AppId, record);
        s.InFlight = null;
        s.FailedAttempts = 0;
        s.NextRetryAt = null;
        s.LastFailure = null;
        s.CompletedReloads++;
        if (credit.BalanceUsd > Options.LowBalanceLimitUsd)
            s.LowBalanceAlerted = false;
        await state.WriteStateAsync();
        metrics.Reload("succeeded");
        await WatchAsync();
    }

    /// <summary>Arms the reminder for the reload retry or an interrupted reload (a tick only wakes the grain), or removes it.</summary>
    private async Task ScheduleAsync(DateTimeOffset now)
    {
        DateTimeOffset? due = state.State.InFlight is not null ? now : state.State.NextRetryAt;
        if (due is null)
        {
            if (await this.GetReminder(DueReminder) is { } reminder)
                await this.UnregisterReminder(reminder);
            return;
        }

        var wait = due.Value - now;
        await this.RegisterOrUpdateReminder(DueReminder, wait > TimeSpan.FromMinutes(1) ? wait : TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));
    }

    /// <summary>Tells the wallet the balance to watch: the reload minimum when auto-reload is on, else the low-balance limit.</summary>
    private async Task WatchAsync()
    {
        var s = state.State;
        var limit = AutoReloadRules.WatchLimit(s.Settings.Enabled, s.Settings.MinimumBalanceUsd ?? 0m, Options.LowBalanceLimitUsd);
        if (s.WatchedLimitUsd == limit)
            return;
        await Wallet.WatchPaidBalance(limit);
        s.WatchedLimitUsd = limit;
        await state.WriteStateAsync();
    }

    private AutoReloadSummary Summary() => new(state.State.Settings.Enabled, state.State.Settings.AmountUsd, state.State.Settings.MinimumBalanceUsd);

    private AutoReloadView View()
    {
        var s = state.State;
        return new AutoReloadView(s.Settings, s.InFlight?.Id, s.FailedAttempts, s.NextRetryAt, s.LastFailure, s.CompletedReloads);
    }

    private async Task<DateTimeOffset> NowAsync() => await time.NowAsync(RequireApp().WorkspaceId);

    private AppView RequireApp() => AppScope.Require(_app, AppId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "AutoReloadGrain {AppId}: finishing an interrupted reload failed; the next notice or tick retries it")]
    private partial void LogResumeFailed(Exception exception, string appId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "AutoReloadGrain {AppId}: auto-reload {PaymentId} ({Method}, {AmountUsd} USD) failed, attempt {Attempt}; next attempt at {NextAttemptAt}: {Reason}")]
    private partial void LogReloadFailed(string appId, string paymentId, PaymentMethodKind method, decimal amountUsd, int attempt, DateTimeOffset? nextAttemptAt, string? reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "AutoReloadGrain {AppId}: auto-reload (enabled: {Enabled}) taken over from the state before the split")]
    private partial void LogImported(string appId, bool enabled);
}
