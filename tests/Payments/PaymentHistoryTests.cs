using Billing.Ledgers;
using Billing.Notifications;
using Billing.Payments;
using Billing.Tests.Infrastructure;

namespace Billing.Tests.Payments;

/// <summary>
/// Payment history lives in the <c>Payments</c> table, not in grain state; a state written before the vault and
/// auto-reload had grains of their own still loads and is taken apart (M1, M2, A1).
/// </summary>
public sealed class PaymentHistoryTests(PaymentsFixture fx) : IClassFixture<PaymentsFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Finished_payments_are_read_from_the_table_and_leave_the_grain_state_M1()
    {
        var (_, app, _) = await fx.NewAppAsync();
        var paypal = await fx.AddPayPalAsync(app);
        var card = await fx.AddCardAsync(app);
        var bought = await fx.BuyAsync(app, paypal, 100m, PaymentMethodKind.PayPal);
        var open = await fx.Payments(app).AddFunds(new AddFunds("pay_open", 150m, PaymentMethodKind.Card, card, "user-1"));
        var wire = await fx.Payments(app).AddFunds(new AddFunds("pay_wire", 300m, PaymentMethodKind.WireTransfer, null, "user-1"));

        var state = await StoredStates.ReadAsync<AppPaymentsState>(fx.Cluster, "app-payments", fx.Payments(app).GetGrainId());
        var all = await fx.Payments(app).GetPayments();
        var firstPage = await fx.Payments(app).ListPayments(2, null);
        var secondPage = await fx.Payments(app).ListPayments(2, firstPage.Continuation);

        // Only the card payment awaiting its OTP is in state; the purchase and the wire order are rows of the table.
        Assert.Equal(["pay_open"], state.OpenPayments.Keys);
        Assert.Equal(PaymentStatus.RequiresOtp, open.Status);
        Assert.Equal(bought, await fx.Payments(app).GetPayment(bought.Id));
        Assert.Equal(wire, await fx.Payments(app).GetPayment("pay_wire"));
        Assert.Equal(3, all.Count);
        Assert.Equal(all.Select(p => p.Id), firstPage.Payments.Concat(secondPage.Payments).Select(p => p.Id));
        Assert.Null(secondPage.Continuation);
        Assert.Equal(all.OrderByDescending(p => p.CreatedAt).Select(p => p.CreatedAt), all.Select(p => p.CreatedAt));
        var page = await Assert.ThrowsAsync<Billing.Errors.BillingException>(() => fx.Payments(app).ListPayments(0, null));
        Assert.Equal("limit", page.Field);
    }

    [Fact]
    public async Task A_payments_state_from_before_the_split_loads_and_moves_to_the_table_the_vault_and_auto_reload_M1_A1()
    {
        var (_, app, _) = await fx.NewAppAsync();
        // A PayPal token as the sandbox gateway issues it, taken from another app's vault.
        var (_, donor, _) = await fx.NewAppAsync();
        var token = (await fx.Methods(donor).GetChargeableMethod(await fx.AddPayPalAsync(donor))).Token;
        var at = fx.Clock.GetUtcNow();
        var method = new StoredPaymentMethod { Id = "pm_1", Kind = PaymentMethodKind.PayPal, Token = token, PayPalEmail = "buyer@sandbox.paypal.test", AddedAt = at };
        var old = new AppPaymentsState
        {
            LegacyMethods = { ["pm_1"] = method },
            LegacyMethodSequence = 1,
            CompletedPurchases = 1,
            LegacyAutoReload = new AutoReloadSettings(true, 100m, 10m, "pm_1"),
            LegacyReloadSequence = 1,
            LegacyCompletedReloads = 1,
            LegacyAutoReloadVersion = 1,
            LegacyWatchedLimitUsd = 50.01m,
        };
        old.OpenPayments["pay_old"] = new PaymentRecord { Id = "pay_old", Purpose = PaymentPurpose.Purchase, Method = PaymentMethodKind.PayPal, MethodId = "pm_1", MethodDisplay = "PayPal buyer@sandbox.paypal.test", AmountUsd = 100m, Status = PaymentStatus.Succeeded, InvoiceNumber = "INV-00000001", CreatedAt = at.AddDays(-3), CompletedAt = at.AddDays(-3), UserId = "user-1" };
        old.OpenPayments["reload-1"] = new PaymentRecord { Id = "reload-1", Purpose = PaymentPurpose.AutoReload, Method = PaymentMethodKind.PayPal, MethodId = "pm_1", MethodDisplay = "PayPal buyer@sandbox.paypal.test", AmountUsd = 100m, Status = PaymentStatus.Succeeded, CreatedAt = at.AddDays(-2), CompletedAt = at.AddDays(-2) };
        old.OpenPayments["pay_wire_old"] = new PaymentRecord { Id = "pay_wire_old", Purpose = PaymentPurpose.Purchase, Method = PaymentMethodKind.WireTransfer, MethodDisplay = "Wire transfer", AmountUsd = 500m, Status = PaymentStatus.AwaitingTransfer, WireReference = $"WIRE-{app}-pay_wire_old", CreatedAt = at.AddDays(-1), UserId = "user-1" };
        await StoredStates.WriteAsync(fx.Cluster, "app-payments", fx.Payments(app).GetGrainId(), old);

        var payments = await fx.Payments(app).GetPayments();
        var methods = await fx.Methods(app).GetPaymentMethods();
        var reload = await fx.AutoReload(app).GetAutoReload();
        var added = await fx.AddPayPalAsync(app, "declined@sandbox.paypal.test");
        var cleared = await fx.Payments(app).ClearWireTransfer("pay_wire_old", 500m, "operator-1");

        Assert.Equal(["pay_wire_old", "reload-1", "pay_old"], payments.Select(p => p.Id));
        Assert.Equal(PaymentStatus.Succeeded, cleared.Status);
        Assert.Single(await fx.PaidLedgerAsync(app), e => e.Kind == LedgerEntryKind.Purchase && e.AmountUsd == 500m);
        Assert.Equal("pm_1", Assert.Single(methods).Id);
        Assert.Equal("pm_2", added);
        Assert.Equal((true, 100m, 1), (reload.Settings.Enabled, reload.Settings.AmountUsd, reload.CompletedReloads));
        // The method auto-reload charges stays protected in the vault.
        var remove = await Assert.ThrowsAsync<Billing.Errors.BillingException>(() => fx.Methods(app).RemovePaymentMethod("pm_1", "owner"));
        Assert.Equal("payment-method.in-use", remove.Code);
        // Once taken over, the old parts are gone from the payments grain's state (the hand-over is one-way: bounded wait).
        AppPaymentsState after;
        var tries = 0;
        do
        {
            after = await StoredStates.ReadAsync<AppPaymentsState>(fx.Cluster, "app-payments", fx.Payments(app).GetGrainId());
            if (!after.HoldsLegacyParts)
                break;
            await Task.Delay(50, Ct);
        }
        while (++tries < 100);
        Assert.False(after.HoldsLegacyParts);
        Assert.Empty(after.OpenPayments);
        Assert.Equal(2, after.CompletedPurchases);
    }
}
