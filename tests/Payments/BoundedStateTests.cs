using System.Diagnostics;
using Billing.Ledgers;
using Billing.Notifications;
using Billing.Payments;
using Billing.Tests.Infrastructure;

namespace Billing.Tests.Payments;

/// <summary>
/// Grain state holds what the next decision needs, never history: auto-reloads (10,000 on demand) of one app leave the stored
/// states of its payment grains the size they had after the first few (A2), while every reload is a row of the
/// <c>Payments</c> table.
/// </summary>
public sealed class BoundedStateTests(BoundedStateTests.Fixture fx) : IClassFixture<BoundedStateTests.Fixture>
{
    /// <summary>
    /// How many reloads after the first measure: 250 in the default suite (each reload is ~10 storage writes, ~50-80 ms
    /// on Azurite: 10,000 take over 10 minutes), <c>BILLING_BOUNDED_STATE_RELOADS=10000</c> for the full run. Any count
    /// shows it: a state that kept its payments would grow by ~150 bytes per reload.
    /// </summary>
    private static readonly int Reloads = int.TryParse(Environment.GetEnvironmentVariable("BILLING_BOUNDED_STATE_RELOADS"), out var n) && n >= 20 ? n : 250;

    /// <summary>Reloads done before the first measure: the switch-on's own and 10 more, so every counter is in use.</summary>
    private const int Warmup = 11;

    [Fact]
    public async Task Ten_thousand_auto_reloads_leave_the_stored_payment_states_the_same_size_A2()
    {
        var (_, app, owner) = await fx.NewAppAsync();
        var paypal = await fx.AddPayPalAsync(app);
        await fx.BuyAsync(app, paypal, 100m, PaymentMethodKind.PayPal);
        // A minimum the reloads never reach: every low-balance notice starts exactly one reload.
        await fx.AutoReload(app).ConfigureAutoReload(new AutoReloadSettings(true, 100m, 9_000_000m, paypal), owner);
        await ReloadAsync(app, Warmup - 1); // the switch-on made the first
        var before = await SizesAsync(app);

        var watch = Stopwatch.StartNew();
        await ReloadAsync(app, Reloads);
        watch.Stop();
        var after = await SizesAsync(app);

        var view = await fx.AutoReload(app).GetAutoReload();
        Assert.Equal((Warmup + Reloads, (string?)null), (view.CompletedReloads, view.ReloadInFlight));
        // Counters grow by a byte or two of their variable-length encoding; nothing grows with the number of reloads.
        Assert.True(after.AutoReload - before.AutoReload <= 4, $"auto-reload state {before.AutoReload} → {after.AutoReload} bytes");
        Assert.Equal(before.Payments, after.Payments);
        Assert.Equal(before.Methods, after.Methods);
        Assert.Equal(1 + Warmup + Reloads, await CountPaymentsAsync(app)); // the purchase and every reload
        Assert.Equal(PaymentStatus.Succeeded, (await fx.Payments(app).GetPayment($"reload-{Warmup + Reloads}"))!.Status);
        Assert.Equal(PaymentStatus.Succeeded, (await fx.Payments(app).GetPayment("reload-1"))!.Status);
        Assert.Equal(100m + ((Warmup + Reloads) * 100m), (await fx.PaidLedgerAsync(app)).Sum(e => e.AmountUsd));
        var report = (
            $"Stored states after {Warmup} reloads: auto-reload {before.AutoReload} B, payments {before.Payments} B, vault {before.Methods} B; " +
            $"after {Warmup + Reloads}: {after.AutoReload} B, {after.Payments} B, {after.Methods} B; {Reloads} reloads took {watch.Elapsed.TotalSeconds:0.0} s.");
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        // BILLING_BOUNDED_STATE_REPORT names a file to append the figures to (docs/payments.md, "Measured").
        if (Environment.GetEnvironmentVariable("BILLING_BOUNDED_STATE_REPORT") is { Length: > 0 } file)
            await File.AppendAllTextAsync(file, report + Environment.NewLine, TestContext.Current.CancellationToken);
    }

    /// <summary>Completes <paramref name="count"/> reloads, each started by one low-balance notice, as the wallet sends them.</summary>
    private async Task ReloadAsync(string app, int count)
    {
        var grain = fx.AutoReload(app);
        var start = (await grain.GetAutoReload()).CompletedReloads;
        for (var i = 0; i < count; i++)
            await grain.PaidBalanceLow();
        Assert.Equal(start + count, (await grain.GetAutoReload()).CompletedReloads);
    }

    /// <summary>Every payment of the app, read page by page from the table (1,000 a page).</summary>
    private async Task<int> CountPaymentsAsync(string app)
    {
        var count = 0;
        string? continuation = null;
        do
        {
            var page = await fx.Payments(app).ListPayments(1000, continuation);
            count += page.Payments.Count;
            continuation = page.Continuation;
        }
        while (continuation is not null);
        return count;
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
