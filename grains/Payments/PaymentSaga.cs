using Billing.Apps;
using Billing.Invoices;
using Billing.Ledgers;
using Billing.Notifications;
using Billing.Telemetry;
using Billing.Wallets;

namespace Billing.Payments;

/// <summary>
/// The steps of a charge that purchases (<see cref="AppPaymentsGrain"/>) and auto-reloads (<see cref="AutoReloadGrain"/>)
/// share. Each step is idempotent on the payment id, which is what makes a charge exactly-once across crashes: the
/// calling grain persists the payment as Charging first, then runs gateway charge (key <c>{app}:{payment}</c>) → wallet
/// credit (key <c>{app}:{payment}</c>) → invoice (source <c>payment:{app}:{payment}</c>) → event
/// (<c>purchase:{app}:{payment}</c>), and persists the outcome last; a crash anywhere is finished by running the same
/// steps again. Holds no state: the grain that owns the payment is its consistency boundary.
/// </summary>
public sealed class PaymentSaga(IGrainFactory grains, IPaymentGateway gateway, IBillingEventSink events, BillingMetrics metrics)
{
    /// <summary>Asks the gateway to charge; a retry under the same key answers the first charge and charges nothing.</summary>
    public Task<ChargeResult> ChargeAsync(string appId, PaymentRecord record, ChargeableMethod? method) =>
        method is null
            ? Task.FromResult(new ChargeResult(ChargeOutcome.Declined, null, "The payment method was removed."))
            : gateway.Charge($"{appId}:{record.Id}", method.Token, record.AmountUsd, $"{record.Purpose} of app {appId}");

    /// <summary>
    /// The money arrived: credit, invoice, event, then <paramref name="record"/> is marked Succeeded (in memory: the
    /// caller persists it). Answers the wallet's credit, whose balance tells the low-balance alert where it stands.
    /// </summary>
    public async Task<PaymentCredit> CompleteAsync(AppView app, PaymentRecord record, AutoReloadSummary autoReload, DateTimeOffset now)
    {
        var reload = record.Purpose == PaymentPurpose.AutoReload;
        var credit = await grains.GetGrain<IAppWalletGrain>(app.Id).CreditPayment($"{app.Id}:{record.Id}", reload ? LedgerEntryKind.Reload : LedgerEntryKind.Purchase, record.AmountUsd, record.ChargeId ?? record.Id);
        var item = reload ? "Auto-reload of paid credits" : "Paid credits";
        var invoice = await grains.GetGrain<IInvoiceSequenceGrain>(0).Issue(new InvoiceDraft(
            $"payment:{app.Id}:{record.Id}", app.WorkspaceId, app.Id, app.Name,
            reload ? InvoiceSubject.AutoReload : InvoiceSubject.CreditPurchase, $"{app.Plan} plan", record.AmountUsd,
            [new InvoiceLine(item, 1, record.AmountUsd, record.AmountUsd)], record.MethodDisplay, now));

        // Before the caller's final write: after a crash the event is raised again under the same id, which E2 makes harmless.
        await events.Publish(new CreditsPurchased
        {
            EventId = $"purchase:{app.Id}:{record.Id}",
            WorkspaceId = app.WorkspaceId,
            OccurredAt = now,
            AppId = app.Id,
            AppName = app.Name,
            IsAutoReload = reload,
            PurchasedByUserId = record.UserId,
            PreviousBalanceUsd = credit.PreviousBalanceUsd,
            OrderAmountUsd = record.AmountUsd,
            CurrentBalanceUsd = credit.BalanceUsd,
            AutoReload = autoReload,
            PaymentMethod = new PaymentMethodSummary(record.Method, record.MethodDisplay),
        });

        record.Status = PaymentStatus.Succeeded;
        record.InvoiceNumber = invoice.Number;
        record.CompletedAt = now;
        metrics.Payment(record.Method.ToString(), "succeeded");
        return credit;
    }

    /// <summary>Marks <paramref name="record"/> failed (in memory: the caller persists it).</summary>
    public void Fail(PaymentRecord record, string reason, DateTimeOffset now)
    {
        metrics.Payment(record.Method.ToString(), "failed");
        record.Status = PaymentStatus.Failed;
        record.FailureReason = reason;
        record.CompletedAt = now;
    }
}
