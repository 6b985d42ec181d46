using Billing.Errors;
using Billing.Ledgers;
using Billing.Metering;
using Billing.Notifications;
using Billing.Payments;
using Billing.Tests.Infrastructure;
using Billing.Wallets;

namespace Billing.Tests.Payments;

/// <summary>Auto-reload (A1-A5) against the real wallet: charges by metering, reloads by the sandbox gateway.</summary>
public sealed class AutoReloadTests(PaymentsFixture fx) : IClassFixture<PaymentsFixture>
{
    [Fact]
    public async Task Auto_reload_can_be_enabled_only_after_a_completed_purchase_A1()
    {
        var (_, app, owner) = await fx.NewAppAsync();
        var paypal = await fx.AddPayPalAsync(app);

        var before = await Assert.ThrowsAsync<BillingException>(() => fx.AutoReload(app).ConfigureAutoReload(new AutoReloadSettings(true, 100m, 50m, paypal), owner));
        await fx.BuyAsync(app, paypal, 100m, PaymentMethodKind.PayPal);
        var tooSmall = await Assert.ThrowsAsync<BillingException>(() => fx.AutoReload(app).ConfigureAutoReload(new AutoReloadSettings(true, 99m, 50m, paypal), owner));
        var enabled = await fx.AutoReload(app).ConfigureAutoReload(new AutoReloadSettings(true, 100m, 50m, paypal), owner);
        var disabled = await fx.AutoReload(app).ConfigureAutoReload(new AutoReloadSettings(false, null, null, null), owner);

        Assert.Equal("auto-reload.no-purchase", before.Code);
        Assert.Equal("amountUsd", tooSmall.Field);
        Assert.True(enabled.Settings.Enabled);
        Assert.False(disabled.Settings.Enabled);
        // A4: each change has its email.
        Assert.Equal([true, false], fx.EventsOf<AutoReloadChanged>(app).Select(e => e.AutoReload.Enabled));
    }

    [Fact]
    public async Task Charges_that_take_the_paid_balance_below_the_minimum_start_exactly_one_reload_A2()
    {
        var (_, app) = await NewPaidOnlyAppAsync();
        var paypal = await fx.AddPayPalAsync(app);
        await fx.BuyAsync(app, paypal, 100m, PaymentMethodKind.PayPal);
        await fx.AutoReload(app).ConfigureAutoReload(new AutoReloadSettings(true, 100m, 99.5m, paypal), "owner");

        // Many concurrent sessions: several charges cross or stay below the minimum, each may notify.
        var decisions = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => fx.Client.Meter(Message(app, $"user-{i}"))));
        // Many doubled notices on top: still one reload.
        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => fx.AutoReload(app).PaidBalanceLow()));
        var view = await WaitForReloadsAsync(app, 1);

        Assert.All(decisions, d => Assert.True(d.IsAllowed));
        Assert.Equal(1, view.CompletedReloads);
        var ledger = await fx.PaidLedgerAsync(app);
        Assert.Single(ledger, e => e.Kind == LedgerEntryKind.Reload);
        Assert.Equal(100m + 100m - (12 * 0.20m), ledger.Sum(e => e.AmountUsd));
        var reload = Assert.Single(fx.EventsOf<CreditsPurchased>(app), e => e.IsAutoReload);
        Assert.Equal(100m, reload.OrderAmountUsd);
        Assert.Equal(1, await SandboxGateway.CountChargesAsync(fx.SandboxCharges, $"{app}:reload-"));
    }

    [Fact]
    public async Task A_failed_reload_sends_its_email_and_the_low_balance_alert_once_and_is_retried_on_schedule_A3_A5()
    {
        var (ws, app) = await NewPaidOnlyAppAsync();
        var good = await fx.AddPayPalAsync(app);
        var declining = await fx.AddCardAsync(app, "4000000000000002");
        await fx.BuyAsync(app, good, 100m, PaymentMethodKind.PayPal);
        await fx.AutoReload(app).ConfigureAutoReload(new AutoReloadSettings(true, 100m, 60m, declining), "owner");

        // $100 → $49.80 by sessions at $0.20 (minimum 60, low-balance limit 50): one crossing of each.
        await MeterSessionsAsync(app, "user", 251);
        await fx.AutoReload(app).PaidBalanceLow();
        await fx.AutoReload(app).PaidBalanceLow();
        var afterFirst = await fx.AutoReload(app).GetAutoReload();
        await fx.Client.GetGrain<ITestClockGrain>(ws).Advance(TimeSpan.FromMinutes(61)); // the first retry is due after an hour
        var afterRetry = await fx.AutoReload(app).GetAutoReload();

        Assert.Equal((1, null), (afterFirst.FailedAttempts, afterFirst.ReloadInFlight));
        Assert.Equal(2, afterRetry.FailedAttempts);
        var failures = fx.EventsOf<AutoReloadFailed>(app);
        Assert.Equal(2, failures.Count);
        Assert.All(failures, f => Assert.Equal(PaymentMethodKind.Card, f.PaymentMethod.Kind));
        var alert = Assert.Single(fx.EventsOf<LowBalanceReached>(app));
        Assert.Equal(50m, alert.LimitUsd);
        Assert.True(alert.BalanceUsd <= 50m);
        Assert.DoesNotContain(await fx.PaidLedgerAsync(app), e => e.Kind == LedgerEntryKind.Reload);
    }

    [Fact]
    public async Task The_low_balance_alert_goes_out_once_per_crossing_when_auto_reload_is_off_A5()
    {
        var (_, app) = await NewPaidOnlyAppAsync();
        var paypal = await fx.AddPayPalAsync(app);
        await fx.BuyAsync(app, paypal, 100m, PaymentMethodKind.PayPal);

        await MeterSessionsAsync(app, "a", 260); // $100 → $48: crosses $50 once
        await fx.AutoReload(app).PaidBalanceLow();
        var firstCrossing = fx.EventsOf<LowBalanceReached>(app).Count;
        await fx.BuyAsync(app, paypal, 100m, PaymentMethodKind.PayPal); // back above
        await MeterSessionsAsync(app, "b", 500); // $148 → $48: crosses again
        await fx.AutoReload(app).PaidBalanceLow();

        Assert.Equal(1, firstCrossing);
        Assert.Equal(2, fx.EventsOf<LowBalanceReached>(app).Select(e => e.EventId).Distinct().Count());
    }

    /// <summary>An app whose workspace's free credits expired, so sessions are paid from the paid wallet.</summary>
    private async Task<(string WorkspaceId, string AppId)> NewPaidOnlyAppAsync()
    {
        var (ws, app, _) = await fx.NewAppAsync();
        await fx.Client.GetGrain<IFreeCreditPoolGrain>(ws).Adjust(new WalletAdjustment(LedgerEntryKind.Adjustment, -500m, "tests pay from the paid wallet only", "operator", Guid.NewGuid().ToString("N")));
        return (ws, app);
    }

    /// <summary>Opens <paramref name="count"/> billing sessions ($0.20 each), 50 at a time.</summary>
    private async Task MeterSessionsAsync(string app, string prefix, int count)
    {
        foreach (var batch in Enumerable.Range(0, count).Chunk(50))
        {
            var decisions = await Task.WhenAll(batch.Select(i => fx.Client.Meter(Message(app, $"{prefix}-{i}"))));
            Assert.All(decisions, d => Assert.True(d.OpenedBillingSession));
        }
    }

    private ChannelMessage Message(string app, string user) =>
        new("m-" + Guid.NewGuid().ToString("N"), app, "webchat", ChannelClass.Chat, user, "kore-" + user, fx.Clock.GetUtcNow(), MessageKind.UserMessage);

    /// <summary>The reload is asked for one-way by the wallet: wait (bounded, on the grain's own state) until it is done.</summary>
    private async Task<AutoReloadView> WaitForReloadsAsync(string app, int count)
    {
        for (var i = 0; ; i++)
        {
            var view = await fx.AutoReload(app).GetAutoReload();
            if ((view.CompletedReloads >= count && view.ReloadInFlight is null) || i >= 100)
                return view;
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
