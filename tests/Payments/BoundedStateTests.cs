using System.Diagnostics;
using Billing.Ledgers;
using Billing.Notifications;
using Billing.Payments;
using Billing.Tests.Infrastructure;

namespace Billing.Tests.Payments;

/// <summary>
/// Grain state holds what the next decision needs, never history: 10,000 auto-reloads of one app leave the stored
/// states of its payment grains the size they had after the first few (A2), while every reload is a row of the
/// <c>Payments</c> table.
/// </summary>
public sealed class BoundedStateTests(BoundedStateTests.Fixture fx) : IClassFixture<BoundedStateTests.Fixture>
{
    /// <summary>How many reloads: 10,000 by default; <c>BILLING_BOUNDED_STATE_RELOADS</c> changes it for a quick local run.</summary>
    private static readonly int Reloads = int.TryParse(Environment.GetEnvironmentVariable("BILLING_BOUNDED_STATE_RELOADS"), out var n) && n >= 20 ? n : 10_000;

    [Fact]
    public async Task Ten_thousand_auto_reloads_leave_the_stored_payment_states_the_same_size_A2()
    {
        var (_, app, owner) = await fx.NewAppAsync();
        var paypal = await fx.AddPayPalAsync(app);
        await fx.BuyAsync(app, paypal, 100m, PaymentMethodKind.PayPal);
        // A minimum the reloads never reach: every low-balance notice starts exactly one reload.
        await fx.AutoReload(app).ConfigureAutoReload(new AutoReloadSettings(true, 100m, 9_000_000m, paypal), owner);
        await ReloadAsync(app, 10);
        var before = await SizesAsync(app);

        var watch = Stopwatch.StartNew();
        await ReloadAsync(app, Reloads);
        watch.Stop();
        var after = await SizesAsync(app);

        var view = await fx.AutoReload(app).GetAutoReload();
        Assert.Equal((10 + Reloads, (string?)null), (view.CompletedReloads, view.ReloadInFlight));
        // Counters grow by a byte or two of their variable-length encoding; nothing grows with the number of reloads.
        Assert.True(after.AutoReload - before.AutoReload <= 4, $"auto-reload state {before.AutoReload} → {after.AutoReload} bytes");
        Assert.Equal(before.Payments, after.Payments);
        Assert.Equal(before.Methods, after.Methods);
        var page = await fx.Payments(app).ListPayments(1, null);
        Assert.Equal($"reload-{10 + Reloads}", Assert.Single(page.Payments).Id);
        Assert.Equal(PaymentStatus.Succeeded, (await fx.Payments(app).GetPayment("reload-1"))!.Status);
        Assert.Equal(100m + ((10 + Reloads) * 100m), (await fx.PaidLedgerAsync(app)).Sum(e => e.AmountUsd));
        TestContext.Current.SendDiagnosticMessage(
            $"Stored states after 10 reloads: auto-reload {before.AutoReload} B, payments {before.Payments} B, vault {before.Methods} B; " +
            $"after {10 + Reloads}: {after.AutoReload} B, {after.Payments} B, {after.Methods} B; {Reloads} reloads took {watch.Elapsed.TotalSeconds:0.0} s.");
    }

    /// <summary>
    /// Completes <paramref name="count"/> reloads, sent as low-balance notices. The notice is one-way: the awaited read
    /// behind each batch queues after its notices in the grain, so it answers once they are done.
    /// </summary>
    private async Task ReloadAsync(string app, int count)
    {
        var grain = fx.AutoReload(app);
        var start = (await grain.GetAutoReload()).CompletedReloads;
        for (var done = 0; done < count;)
        {
            var batch = Math.Min(100, count - done);
            for (var i = 0; i < batch; i++)
                await grain.PaidBalanceLow();
            done += batch;
            Assert.Equal(start + done, (await grain.GetAutoReload()).CompletedReloads);
        }
    }

    private async Task<(int AutoReload, int Payments, int Methods)> SizesAsync(string app) => (
        await StoredStates.SizeAsync<AutoReloadState>(fx.Cluster, "auto-reload", fx.AutoReload(app).GetGrainId()),
        await StoredStates.SizeAsync<AppPaymentsState>(fx.Cluster, "app-payments", fx.Payments(app).GetGrainId()),
        await StoredStates.SizeAsync<PaymentMethodsState>(fx.Cluster, "payment-methods", fx.Methods(app).GetGrainId()));

    /// <summary>Payments up to $10M, so that a minimum balance of $9M can be set (nothing else differs).</summary>
    public sealed class Fixture(AzuriteFixture azurite) : PaymentsFixture(azurite)
    {
        protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
        {
            ["Payments:MaximumPurchaseUsd"] = "10000000",
        };
    }
}
