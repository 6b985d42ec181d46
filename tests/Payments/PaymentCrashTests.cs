using Billing.Ledgers;
using Billing.Metering;
using Billing.Notifications;
using Billing.Payments;
using Billing.Tests.Infrastructure;

namespace Billing.Tests.Payments;

/// <summary>A silo killed between the gateway's charge and the wallet's credit (A2, M1, C7): its own two-silo cluster.</summary>
public sealed class PaymentCrashTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly CrashFixture _fx = new(azurite);

    public ValueTask InitializeAsync() => _fx.InitializeAsync();

    public ValueTask DisposeAsync() => _fx.DisposeAsync();

    [Fact]
    public async Task A_silo_killed_between_the_charge_and_the_credit_ends_with_one_charge_and_one_credit_M1_C7()
    {
        var (_, app, _) = await _fx.NewAppAsync();
        // The sandbox's "slow" account records the charge, then takes 30 s to answer: the silo dies in that window.
        var slow = await _fx.AddPayPalAsync(app, "slow@sandbox.paypal.test");
        var payments = _fx.Payments(app);
        var host = await _fx.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(payments);
        var victim = _fx.Cluster.Silos.Single(s => s.SiloAddress.Equals(host));

        var purchase = payments.AddFunds(new AddFunds("pay_crash", 700m, PaymentMethodKind.PayPal, slow, "user-1"));
        await WaitUntilChargedAsync($"{app}:pay_crash");
        await _fx.Cluster.KillSiloAsync(victim);
        // The caller's request dies with the silo; its outcome is whatever the retry below finds.
        _ = purchase.ContinueWith(static t => t.Exception, TaskScheduler.Default);

        // The survivor activates the payments grain, finds the payment Charging, asks the gateway again under the same
        // key (answered from its record, not charged again), and credits the wallet once.
        var after = await SurvivingCluster.Call(() => payments.GetPayment("pay_crash"));

        Assert.Equal(PaymentStatus.Succeeded, after!.Status);
        Assert.Equal(1, await SandboxGateway.CountChargesAsync(_fx.SandboxCharges, $"{app}:pay_crash"));
        var credit = Assert.Single(await _fx.PaidLedgerAsync(app));
        Assert.Equal((LedgerEntryKind.Purchase, 700m), (credit.Kind, credit.AmountUsd));
        Assert.Single(_fx.EventsOf<InvoiceIssued>(app).Select(e => e.InvoiceNumber).Distinct());
        // Retrying the request itself changes nothing either.
        var retried = await payments.AddFunds(new AddFunds("pay_crash", 700m, PaymentMethodKind.PayPal, slow, "user-1"));
        Assert.Equal(after, retried);
        Assert.Single(await _fx.PaidLedgerAsync(app));
    }

    [Fact]
    public async Task A_silo_killed_while_an_auto_reload_is_being_charged_ends_with_one_reload_charged_and_credited_A2()
    {
        var (ws, app, owner) = await _fx.NewAppAsync();
        await _fx.Client.GetGrain<Billing.Wallets.IFreeCreditPoolGrain>(ws).Adjust(new Billing.Wallets.WalletAdjustment(LedgerEntryKind.Adjustment, -500m, "paid wallet only", "operator", Guid.NewGuid().ToString("N")));
        var good = await _fx.AddPayPalAsync(app);
        var slow = await _fx.AddPayPalAsync(app, "slow@sandbox.paypal.test");
        await _fx.BuyAsync(app, good, 100m, PaymentMethodKind.PayPal);
        await _fx.AutoReload(app).ConfigureAutoReload(new AutoReloadSettings(true, 100m, 99.9m, slow), owner);
        var host = await _fx.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(_fx.AutoReload(app));
        var victim = _fx.Cluster.Silos.Single(s => s.SiloAddress.Equals(host));

        // One session takes the balance to $99.80, below the minimum: the wallet tells the payments grain, which charges.
        await _fx.Client.Meter(new Billing.Metering.ChannelMessage("m-1", app, "webchat", Billing.Metering.ChannelClass.Chat, "zoe", "kore-zoe", _fx.Clock.GetUtcNow(), Billing.Metering.MessageKind.UserMessage));
        await WaitUntilChargedAsync($"{app}:reload-1");
        await _fx.Cluster.KillSiloAsync(victim);
        var view = await SurvivingCluster.Call(() => _fx.AutoReload(app).GetAutoReload());
        // Doubled notices after the crash start no second reload: the balance is back above the minimum.
        await SurvivingCluster.Call(async () => { await _fx.AutoReload(app).RunDue(); return true; });

        Assert.Equal((1, (string?)null), (view.CompletedReloads, view.ReloadInFlight));
        Assert.Equal(1, await SandboxGateway.CountChargesAsync(_fx.SandboxCharges, $"{app}:reload-"));
        Assert.Single(await _fx.PaidLedgerAsync(app), e => e.Kind == LedgerEntryKind.Reload && e.AmountUsd == 100m);
        Assert.Equal(199.80m, (await _fx.PaidLedgerAsync(app)).Sum(e => e.AmountUsd));
    }

    /// <summary>Polls the sandbox's own record (bounded) until it holds the charge: the charge is made, its answer not yet.</summary>
    private async Task WaitUntilChargedAsync(string key)
    {
        for (var i = 0; i < 200 && await SandboxGateway.CountChargesAsync(_fx.SandboxCharges, key) == 0; i++)
            await Task.Delay(50, TestContext.Current.CancellationToken);
    }

    private sealed class CrashFixture(AzuriteFixture azurite) : PaymentsFixture(azurite)
    {
        protected override short Silos => 2;
    }
}
